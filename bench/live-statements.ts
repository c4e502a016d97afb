// Why the apply path reuses its few statements (repo/sqlite.ts, preparedOnce): every statement
// alive on a connection makes each later applyChangeset on it slower. node:sqlite has no
// finalize; a prepared statement lives until it is garbage-collected or the connection closes.
// This applies 10 changesets (100,000 changes) on copies of one database, alternating: on a
// connection with no other statement, and on one holding `held` statements prepared first.
// Run: npx node bench/live-statements.ts [held] [runs]
import { closeSync, copyFileSync, fsyncSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { pullWorkload } from './pull-workload.ts';

const held = Number(process.argv[2] ?? 20);
const runs = Number(process.argv[3] ?? 25);
const dir = mkdtempSync(join(tmpdir(), 'sqlferry-bench-statements-'));
const { base, entries: changesets } = pullWorkload(dir);

function timeApply(statements: number): number {
  const path = join(dir, 'run.db');
  rmSync(path, { force: true });
  copyFileSync(base, path);
  const fd = openSync(path, 'r');
  fsyncSync(fd); // the copy's writes are setup, not the apply's
  closeSync(fd);
  const db = new DatabaseSync(path, { enableForeignKeyConstraints: false });
  const alive = Array.from({ length: statements }, (_, i) => db.prepare(`SELECT ${i}`));
  const start = performance.now();
  db.exec('BEGIN IMMEDIATE');
  for (const bytes of changesets) if (!db.applyChangeset(bytes)) throw new Error('applyChangeset aborted');
  const took = performance.now() - start;
  db.exec('COMMIT');
  db.close();
  if (alive.length !== statements) throw new Error('unreachable');
  return took;
}

const none: number[] = [];
const some: number[] = [];
for (let i = 0; i < runs; i++) {
  none.push(timeApply(0));
  some.push(timeApply(held));
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
console.log(`applyChangeset of 100,000 changes, ${runs} runs each, until COMMIT:`);
const line = (label: string, xs: number[]) => console.log(`  ${label.padEnd(38)} median ${median(xs).toFixed(1)} ms, fastest ${Math.min(...xs).toFixed(1)} ms`);
line('no other statement on the connection:', none);
line(`${held} statements alive:`, some);
rmSync(dir, { recursive: true, force: true });
