// What the content digest costs, beside what it rides on, in one process so both sides see the
// same machine: counting the change of digest of the pull benchmark's entries (bench/pull.ts:
// 100,000 changes in 10 changesets — 70% inserts, 20% updates of two columns, 10% deletes)
// against SQLite applying them; and a clone's scan of a snapshot against copying it. Given
// another checkout of sqlferry (e.g. `git worktree add /tmp/before <commit>`), it also times that
// checkout's digest on the same entries in the same runs, alternating, side by side.
// Run: npx node bench/digest-cost.ts [changes] [existing rows] [runs] [other checkout]
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { pathToFileURL } from 'node:url';
import { addChangesetDelta, type TableDigests } from '../src/changeset/digest.ts';
import { validateChangeset } from '../src/changeset/index.ts';
import { scanDigests } from '../src/repo/digest-scan.ts';
import { pullWorkload } from './pull-workload.ts';

interface DigestCode {
  addChangesetDelta: typeof addChangesetDelta;
  scanDigests: typeof scanDigests;
}

const changes = Number(process.argv[2] ?? 100_000);
const existing = Number(process.argv[3] ?? 500_000);
const runs = Number(process.argv[4] ?? 5);
const other = process.argv[5];
const code: Array<[string, DigestCode]> = [['this checkout', { addChangesetDelta, scanDigests }]];
if (other !== undefined) {
  const from = (file: string) => import(pathToFileURL(join(other, file)).href);
  code.push([other, { ...(await from('src/changeset/digest.ts')), ...(await from('src/repo/digest-scan.ts')) }]);
}
const dir = mkdtempSync(join(tmpdir(), 'sqlferry-bench-digest-'));
const { base, entries: bytes } = pullWorkload(dir, existing, changes);
const entries = bytes.length;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
function timed(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

const apply: number[] = [];
const validate: number[] = [];
const delta = code.map((): number[] => []);
const scan = code.map((): number[] => []);
const copy: number[] = [];
for (let r = 0; r < runs; r++) {
  const target = new DatabaseSync(':memory:');
  target.deserialize(new DatabaseSync(base, { readOnly: true }).serialize());
  apply.push(timed(() => {
    target.exec('BEGIN');
    for (const b of bytes) target.applyChangeset(b);
    target.exec('COMMIT');
  }));
  validate.push(timed(() => bytes.forEach((b) => validateChangeset(b, 'changeset'))));
  code.forEach(([, c], i) => delta[i]!.push(timed(() => {
    const digests: TableDigests = new Map();
    for (const b of bytes) c.addChangesetDelta(b, digests);
  })));
  const snapshot = new DatabaseSync(base, { readOnly: true });
  code.forEach(([, c], i) => scan[i]!.push(timed(() => c.scanDigests(snapshot))));
  const out = join(dir, `copy-${r}.db`);
  copy.push(timed(() => snapshot.exec(`VACUUM INTO '${out}'`)));
  snapshot.close();
  rmSync(out, { force: true });
  target.close();
}
rmSync(dir, { recursive: true, force: true });

const ms = (x: number) => `${x.toFixed(0)} ms`;
console.log(`${new Date().toISOString()} · ${cpus()[0]?.model ?? 'cpu'} ×${cpus().length} · load ${loadavg().map((l) => l.toFixed(1)).join(' ')} · medians of ${runs}`);
console.log(`pull: ${changes.toLocaleString('en')} changes in ${entries} changesets onto ${existing.toLocaleString('en')} rows`);
console.log(`  applyChangeset (reference)   ${ms(median(apply))}`);
console.log(`  validateChangeset            ${ms(median(validate))}  (${(median(validate) / median(apply) * 100).toFixed(1)}% of the apply)`);
code.forEach(([name], i) => console.log(`  change of digest             ${ms(median(delta[i]!))}  (${(median(delta[i]!) / median(apply)).toFixed(2)}× the apply; ${name})`));
console.log(`clone: ${existing.toLocaleString('en')} rows`);
console.log(`  VACUUM INTO (reference)      ${ms(median(copy))}`);
code.forEach(([name], i) => console.log(`  digest scan                  ${ms(median(scan[i]!))}  (${(median(scan[i]!) / median(copy)).toFixed(2)}× the copy; ${name})`));
