// Benchmark: `sqlferry commit` against `sqldiff --changeset` on the same two files, CLI against
// CLI (each process's start-up counted), side by side in one run, several pairs; peak memory of
// each from GNU time, with their CPU (user + system). Two workloads:
//   spread [rows]  a table of `rows` rows (default 1,000,000); 1% updated, 0.5% deleted, 0.5% inserted;
//                  also the "nothing changed" answer and a one-row `exec`
//   bulk [rows]    `rows` new rows (default 3,000,000) into an empty table: a bulk load
// Run: npx node bench/commit.ts spread|bulk [rows] [pairs]
// SQLFERRY_BENCH_BIN=/other/checkout/bin/sqlferry.js runs another build's CLI (before/after);
// SQLFERRY_BENCH_BEFORE=/other/checkout/bin/sqlferry.js runs that build's commit too, in every
// pair, on a fresh copy, taking turns with this one at going first: side by side, same load.
// SQLFERRY_BENCH_NO_MAP=1 removes the page map init leaves: the commit then compares every row
// (a clone's first commit; what this bench measured before init kept the map).
// Each build's commit is timed twice per pair, as a clone runs it (bin/sqlferry.js over src/,
// TypeScript stripped at every start) and as the npm package runs it (bin/sqlferry.js beside
// dist/npm/ only, built by that checkout's bin/build-dist.ts as `npm pack` does: the command's
// own script with V8's code cache); the order of the runs in a pair turns at every pair.
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Replica } from '../src/repo/replica.ts';
import { commit } from '../src/repo/capture/commit.ts';
import { execSql } from '../src/repo/apply/exec.ts';

const workload = process.argv[2] === 'bulk' ? 'bulk' : 'spread';
const rows = Number(process.argv[3] ?? (workload === 'bulk' ? 3_000_000 : 1_000_000));
const pairs = Number(process.argv[4] ?? 5);
const BIN = process.env.SQLFERRY_BENCH_BIN ?? fileURLToPath(new URL('../bin/sqlferry.js', import.meta.url));
const BEFORE = process.env.SQLFERRY_BENCH_BEFORE;
const dir = mkdtempSync(join(tmpdir(), 'sqlferry-bench-'));
const template = join(dir, 'template');
const work = join(dir, 'work');

function sqlite3(db: string, sql: string): void {
  const r = spawnSync('/usr/bin/sqlite3', [db], { input: sql, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
}

/** Wall seconds, CPU seconds (user + system) and peak RSS (MB) of a command, from GNU time. */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { s: number; cpu: number; mb: number } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', cmd, ...args], { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  const [s, user, system, kb] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  return { s: s!, cpu: user! + system!, mb: kb! / 1024 };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const TABLE = 'CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, amount REAL, qty INTEGER, note TEXT);';
const fill = (from: string, to: string, name: string) =>
  `WITH RECURSIVE s(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM s WHERE i < ${to}) INSERT INTO t SELECT i, ${name}, i * 0.25, i % 1000, printf('%.40c', 'x') FROM s;`;

console.log(`# ${workload}: ${rows.toLocaleString('en')} rows, ${pairs} pairs, in ${dir}`);
mkdirSync(template);
const live = join(template, 'live.db');
sqlite3(live, TABLE + (workload === 'spread' ? fill('1', String(rows), `'name ' || i`) : ''));
const replica = Replica.init(live);
// init leaves the page map of the genesis (pages-at-init.ts), as a replica that has committed
// before has one: the commit reads only the changed pages' rows. Without it (a clone's first
// commit, or a build before init kept one), every row is compared and every page walked.
if (process.env.SQLFERRY_BENCH_NO_MAP === '1') rmSync(join(replica.paths.dir, 'pages.bin'), { force: true });
sqlite3(
  live,
  workload === 'spread'
    ? `UPDATE t SET amount = amount + 1, note = 'changed' WHERE id % 100 = 7; DELETE FROM t WHERE id % 200 = 3; ${fill(`${rows} + 1`, `${rows} + ${rows / 200}`, `'new ' || i`)}`
    : fill('1', String(rows), `'name ' || i`),
);
// sqldiff compares every table: give it the base without sqlferry's bookkeeping table.
const plainBase = join(dir, 'base-for-sqldiff.db');
sqlite3(replica.paths.base, `VACUUM INTO '${plainBase}';`);
sqlite3(plainBase, 'DROP TABLE sqlferry_base;');
const cliEnv = { ...process.env, NODE_COMPILE_CACHE: join(dir, 'compile-cache') };

/** The npm package of the checkout whose bin is `bin`: its bin/sqlferry.js and package.json beside a fresh dist/npm/, no src/. */
function packaged(bin: string, name: string): string | undefined {
  const root = dirname(dirname(bin));
  if (!existsSync(join(root, 'bin', 'build-dist.ts'))) return undefined;
  const pkg = join(dir, name);
  mkdirSync(join(pkg, 'bin'), { recursive: true });
  copyFileSync(bin, join(pkg, 'bin', 'sqlferry.js'));
  copyFileSync(join(root, 'package.json'), join(pkg, 'package.json'));
  const r = spawnSync(process.execPath, [join(root, 'bin', 'build-dist.ts'), join(pkg, 'dist', 'npm')], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build-dist failed: ${r.stderr}`);
  return join(pkg, 'bin', 'sqlferry.js');
}

type Timed = ReturnType<typeof timed>;
interface Side { name: string; bin: string; runs: Timed[]; entries: Set<string> }
const sides: Side[] = [];
const side = (name: string, bin: string | undefined): void => void (bin !== undefined && sides.push({ name, bin, runs: [], entries: new Set() }));
side('commit, clone (src/ TypeScript)', BIN);
side('commit, npm package (dist/npm, V8 code cache)', packaged(BIN, 'package'));
if (BEFORE !== undefined) {
  side('before: commit, clone', BEFORE);
  side('before: commit, npm package', packaged(BEFORE, 'package-before'));
}
const theirs: Timed[] = [];
const fresh = (): void => {
  rmSync(work, { recursive: true, force: true });
  cpSync(template, work, { recursive: true });
};
const entryFile = join(work, 'live.db.sqlferry', 'log', '0000000001.changeset');
const commitWith = (bin: string) => timed(process.execPath, [bin, '--db', join(work, 'live.db'), 'commit', '-q', '-m', 'bench'], cliEnv);
// Each side's first commit, not counted, fills the compile cache and the package's code cache, as
// any earlier run would (in a clone, a cold cache also makes Node strip the modules' types, which
// keeps ~30 MB for the rest of that process).
for (const s of sides) {
  fresh();
  commitWith(s.bin);
}
console.log(`load before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
for (let i = 0; i < pairs; i++) {
  fresh();
  theirs.push(timed('/usr/bin/sqldiff', ['--changeset', join(dir, 'sqldiff.changeset'), plainBase, join(work, 'live.db')]));
  // The order turns at every pair: a run after another pays for its writeback.
  for (let k = 0; k < sides.length; k++) {
    const s = sides[(i + k) % sides.length]!;
    fresh();
    s.runs.push(commitWith(s.bin));
    s.entries.add(createHash('sha256').update(readFileSync(entryFile)).digest('hex'));
  }
}
console.log(`load after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const size = statSync(entryFile).size;
const sqldiffSize = statSync(join(dir, 'sqldiff.changeset')).size;
const row = (what: string, value: string) => console.log(`| ${what} | ${value} |`);
const entries = new Set(sides.flatMap((s) => [...s.entries]));
console.log(`database ${(statSync(join(work, 'live.db')).size / 2 ** 20).toFixed(0)} MB; changeset ${(size / 2 ** 20).toFixed(1)} MiB (sqldiff's: ${(sqldiffSize / 2 ** 20).toFixed(1)} MiB); entries' sha256 ${entries.size === 1 ? 'the same in every run' : `DIFFER: ${[...entries].join(', ')}`}\n`);
console.log('| measure | result |\n|---|---|');
row('sqldiff --changeset, wall (median)', `${median(theirs.map((t) => t.s)).toFixed(2)} s; CPU ${median(theirs.map((t) => t.cpu)).toFixed(2)} s`);
for (const { name, runs } of sides) {
  const wall = runs.map((o, i) => o.s / theirs[i]!.s);
  const cpu = runs.map((o, i) => o.cpu / theirs[i]!.cpu);
  row(`${name}: wall (median)`, `${median(runs.map((o) => o.s)).toFixed(2)} s`);
  row(`${name}: wall / sqldiff, per pair`, `${wall.map((r) => r.toFixed(2)).join(', ')}; median **${median(wall).toFixed(2)}×**`);
  row(`${name}: CPU (user + system) / sqldiff, per pair`, `${cpu.map((r) => r.toFixed(2)).join(', ')}; median **${median(cpu).toFixed(2)}×** (median ${median(runs.map((o) => o.cpu)).toFixed(2)} s)`);
  row(`${name}: peak RSS (largest; sqldiff's ${Math.max(...theirs.map((t) => t.mb)).toFixed(0)} MB)`, `${Math.max(...runs.map((o) => o.mb)).toFixed(0)} MB`);
}
if (workload === 'spread') {
  const w = join(work, 'live.db');
  row('commit, nothing changed (CLI, compile cache warm)', `${timed(process.execPath, [BIN, '--db', w, 'commit'], cliEnv).s.toFixed(2)} s`);
  row('node -e 0 (start-up alone)', `${timed(process.execPath, ['-e', '0']).s.toFixed(2)} s`);
  row('exec one-row UPDATE (CLI)', `${timed(process.execPath, [BIN, '--db', w, 'exec', 'UPDATE t SET qty = qty + 1 WHERE id = 42'], cliEnv).s.toFixed(2)} s`);
  const t = performance.now();
  execSql(Replica.open(w), 'UPDATE t SET qty = qty + 1 WHERE id = 43');
  commit(Replica.open(w));
  row('exec one-row UPDATE + commit with nothing left (library)', `${((performance.now() - t) / 1000).toFixed(3)} s`);
}
rmSync(dir, { recursive: true, force: true });
