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

// Wall time, and the process's CPU time: on a shared machine the CPU time is the steadier of the two.
interface Times {
  wall: number[];
  cpu: number[];
}
const times = (): Times => ({ wall: [], cpu: [] });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
function timed(into: Times, fn: () => void): void {
  const t = performance.now();
  const c = process.cpuUsage();
  fn();
  const used = process.cpuUsage(c);
  into.wall.push(performance.now() - t);
  into.cpu.push((used.user + used.system) / 1000);
}

const apply = times();
const validate = times();
const delta = code.map(times);
const scan = code.map(times);
const copy = times();
for (let r = 0; r < runs; r++) {
  const target = new DatabaseSync(':memory:');
  target.deserialize(new DatabaseSync(base, { readOnly: true }).serialize());
  timed(apply, () => {
    target.exec('BEGIN');
    for (const b of bytes) target.applyChangeset(b);
    target.exec('COMMIT');
  });
  timed(validate, () => bytes.forEach((b) => validateChangeset(b, 'changeset')));
  code.forEach(([, c], i) => timed(delta[i]!, () => {
    const digests: TableDigests = new Map();
    for (const b of bytes) c.addChangesetDelta(b, digests);
  }));
  const snapshot = new DatabaseSync(base, { readOnly: true });
  code.forEach(([, c], i) => timed(scan[i]!, () => c.scanDigests(snapshot)));
  const out = join(dir, `copy-${r}.db`);
  timed(copy, () => snapshot.exec(`VACUUM INTO '${out}'`));
  snapshot.close();
  rmSync(out, { force: true });
  target.close();
}
rmSync(dir, { recursive: true, force: true });

const shown = (t: Times) => `${median(t.wall).toFixed(0)} ms wall, ${median(t.cpu).toFixed(0)} ms CPU`.padEnd(26);
const against = (t: Times, ref: Times) => `${(median(t.wall) / median(ref.wall)).toFixed(2)}× wall, ${(median(t.cpu) / median(ref.cpu)).toFixed(2)}× CPU`;
console.log(`${new Date().toISOString()} · ${cpus()[0]?.model ?? 'cpu'} ×${cpus().length} · load ${loadavg().map((l) => l.toFixed(1)).join(' ')} · medians of ${runs}`);
console.log(`pull: ${changes.toLocaleString('en')} changes in ${entries} changesets onto ${existing.toLocaleString('en')} rows`);
console.log(`  applyChangeset (reference)  ${shown(apply)}`);
console.log(`  validateChangeset           ${shown(validate)} ${against(validate, apply)}`);
code.forEach(([name], i) => console.log(`  change of digest            ${shown(delta[i]!)} ${against(delta[i]!, apply)} (${name})`));
console.log(`clone: ${existing.toLocaleString('en')} rows`);
console.log(`  VACUUM INTO (reference)     ${shown(copy)}`);
code.forEach(([name], i) => console.log(`  digest scan                 ${shown(scan[i]!)} ${against(scan[i]!, copy)} (${name})`));
