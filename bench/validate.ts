// What checking a changeset whole before SQLite sees it costs (changeset/validate.ts): the pull
// benchmark's 10 entries (100,000 changes: 70% inserts, 20% updates, 10% deletes, 4.7 MB over a
// 30,000-row table), timed through validateChangeset and through applyChangeset on a copy of
// the database in one transaction, alternating. Prints medians and the ratio.
// Run: npx node bench/validate.ts [runs]
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { validateChangeset } from '../src/changeset/index.ts';
import { pullWorkload } from './pull-workload.ts';

const runs = Number(process.argv[2] ?? 25);
const dir = mkdtempSync(join(tmpdir(), 'sqlferry-bench-validate-'));
const { base, entries } = pullWorkload(dir);

function timeValidate(): number {
  const start = performance.now();
  for (const bytes of entries) validateChangeset(bytes, 'changeset');
  return performance.now() - start;
}

function timeApply(): number {
  const path = join(dir, 'run.db');
  rmSync(path, { force: true });
  copyFileSync(base, path);
  const db = new DatabaseSync(path);
  const start = performance.now();
  db.exec('BEGIN IMMEDIATE');
  for (const bytes of entries) db.applyChangeset(bytes);
  db.exec('COMMIT');
  const ms = performance.now() - start;
  db.close();
  return ms;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
timeValidate();
timeApply();
const validate: number[] = [];
const apply: number[] = [];
for (let i = 0; i < runs; i++) {
  validate.push(timeValidate());
  apply.push(timeApply());
}
const mb = entries.reduce((s, b) => s + b.length, 0) / 1e6;
console.log(`${entries.length} entries, ${mb.toFixed(1)} MB, ${runs} runs, load average ${loadavg()[0]!.toFixed(2)}`);
console.log(`validateChangeset: median ${median(validate).toFixed(2)} ms (fastest ${Math.min(...validate).toFixed(2)})`);
console.log(`applyChangeset:    median ${median(apply).toFixed(2)} ms (fastest ${Math.min(...apply).toFixed(2)})`);
console.log(`validation / apply: ${(median(validate) / median(apply) * 100).toFixed(1)}% of the medians`);
rmSync(dir, { recursive: true, force: true });
