// Benchmark: what `commit` and `status` cost when little or nothing changed, CLI against CLI
// (process start-up counted on both sides), runs alternating in one go:
//   - 10 tables × N rows, one row changed in one table: `sqlferry commit` vs `sqldiff --changeset`
//     (target ≥ 10× faster);
//   - the first commit after a pull that brought one entry (the pull records the page map),
//     `pairs` times, the sides taking turns to go first;
//   - nothing changed: `sqlferry status` and `sqlferry commit` vs `node -e 0` (target < 50 ms
//     above it, on a database of about 1 GB at N = 1,000,000).
// With SQLFERRY_BEFORE=/path/to/other/bin/sqlferry.js, a second replica of the same database
// (cloned from the same hub) gets the same edits and runs that build beside this one, for a
// before/after in one run.
// With BENCH_WAL=1 the timed replicas are in WAL mode, each kept open by a sqlite3 process
// (as an application keeps its database open: no checkpoint when a connection closes).
// Run: npx node bench/pages.ts [rows per table = 1000000] [pairs = 3] [start-up runs = 11]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const rows = Number(process.argv[2] ?? 1_000_000);
const pairs = Number(process.argv[3] ?? 3);
const startups = Number(process.argv[4] ?? 11);
const TABLES = 10;
const BIN = fileURLToPath(new URL('../bin/sqlferry.js', import.meta.url));
const OTHER = process.env.SQLFERRY_BEFORE;
const dir = mkdtempSync(join(tmpdir(), 'sqlferry-bench-pages-'));
const hub = join(dir, 'hub');
const live = join(dir, 'live.db');
const env = { ...process.env, NODE_COMPILE_CACHE: join(dir, 'compile-cache') };

function sqlite3(db: string, sql: string): void {
  const r = spawnSync('/usr/bin/sqlite3', [db], { input: sql, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
}

/** Wall milliseconds of one process, from spawn to exit. */
function run(argv: string[]): { ms: number; stderr: string } {
  const start = performance.now();
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  return { ms, stderr: r.stderr };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

interface Side {
  name: string;
  db: string;
  cli: (...args: string[]) => string[];
  commits: number[];
  said: string;
}
const side = (name: string, bin: string, db: string): Side => ({ name, db, cli: (...args) => [process.execPath, bin, '--db', db, ...args], commits: [], said: '' });

let t = performance.now();
for (let i = 0; i < TABLES; i++) {
  sqlite3(live, `CREATE TABLE t${i}(id INTEGER PRIMARY KEY, name TEXT, amount REAL, qty INTEGER, note TEXT);
    WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${rows})
    INSERT INTO t${i} SELECT i, 'name ' || i, i * 0.25, i % 1000, printf('%.60c', 'x') FROM s;`);
}
const mb = statSync(live).size / 2 ** 20;
console.log(`# ${TABLES} tables × ${rows.toLocaleString('en')} rows: ${mb.toFixed(0)} MB, built in ${((performance.now() - t) / 1000).toFixed(0)} s (${dir})`);
// The database built becomes the hub's first replica (and later its writer); the sides timed
// are clones of it, so they have the same history (and pages) whichever build made them.
const writer = side('writer', BIN, live);
run([process.execPath, BIN, 'init', '--bare', hub]);
run(writer.cli('init'));
t = performance.now();
const first = run(writer.cli('-v', 'commit')); // nothing changed, but no page map yet: compares all, records one
console.log(`# first commit after init: ${((performance.now() - t) / 1000).toFixed(1)} s (${first.stderr.trim()})`);
run(writer.cli('remote', 'add', 'origin', hub));
run(writer.cli('push'));
const after = side('this build', BIN, join(dir, 'after.db'));
const sides = [after];
if (OTHER !== undefined) sides.push(side('before', OTHER, join(dir, 'before.db')));
for (const s of sides) run([process.execPath, s.cli()[1]!, 'clone', hub, s.db]);
const holders: ChildProcess[] = [];
if (process.env.BENCH_WAL === '1') {
  for (const s of sides) {
    sqlite3(s.db, 'PRAGMA journal_mode = wal;');
    const holder = spawn('/usr/bin/sqlite3', [s.db], { stdio: ['pipe', 'ignore', 'inherit'] });
    holder.stdin!.write('SELECT count(*) FROM sqlite_schema;\n');
    holders.push(holder);
  }
}
const edit = (s: Side, table: number, id: number): void => sqlite3(s.db, `UPDATE t${table} SET qty = qty + 1 WHERE id = ${id};`);
for (const s of sides) {
  edit(s, 0, 1); // a first change, so that every side's commit records its page map
  run(s.cli('commit'));
}
const sqldiffBase = join(dir, 'sqldiff-base.db'); // what sqldiff compares with: the database as committed
sqlite3(after.db, `VACUUM INTO '${sqldiffBase}';`); // in WAL mode the main file alone is not the database

const theirs: number[] = [];
for (let p = 0; p < pairs; p++) {
  const table = (3 + p) % TABLES;
  for (const s of sides) edit(s, table, Math.floor(rows / 2) + p);
  const steps = [
    () => theirs.push(run(['/usr/bin/sqldiff', '--changeset', join(dir, 'sqldiff.changeset'), sqldiffBase, after.db]).ms),
    ...sides.map((s) => () => {
      const r = run(s.cli('-v', 'commit'));
      s.commits.push(r.ms);
      s.said = r.stderr.trim();
    }),
  ];
  for (let i = 0; i < steps.length; i++) steps[(i + p) % steps.length]!();
}

// `pairs` times: a pull that brings one entry, then one row changed: the commit after the pull.
const pulls = new Map<Side, { pull: number[]; commit: number[]; said: string }>(sides.map((s) => [s, { pull: [], commit: [], said: '' }]));
for (let p = 0; p < pairs; p++) {
  edit(writer, 1, 7 + p);
  run(writer.cli('commit'));
  run(writer.cli('push'));
  for (let i = 0; i < sides.length; i++) {
    const s = sides[(i + p) % sides.length]!;
    const timed = pulls.get(s)!;
    timed.pull.push(run(s.cli('pull')).ms);
    edit(s, 2, 11 + p);
    const commit = run(s.cli('-v', 'commit'));
    timed.commit.push(commit.ms);
    timed.said = commit.stderr.trim();
  }
}

const idle: Record<string, number[]> = { 'node -e 0': [], 'sqlferry status': [], 'sqlferry commit': [] };
for (let i = 0; i < startups; i++) {
  idle['node -e 0']!.push(run([process.execPath, '-e', '0']).ms);
  idle['sqlferry status']!.push(run(after.cli('status')).ms);
  idle['sqlferry commit']!.push(run(after.cli('commit')).ms);
}

const node = median(idle['node -e 0']!);
for (const holder of holders) holder.stdin!.end();
console.log(`\n${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, load average ${loadavg()[0]!.toFixed(1)}; ${holders.length > 0 ? 'WAL mode, ' : ''}medians`);
for (const s of sides) console.log(`${s.name}: commit said: ${s.said}\n${s.name}: commit after a pull said: ${pulls.get(s)!.said}`);
console.log(`\n| measure | ${sides.map((s) => s.name).join(' | ')} | target |\n|---|${sides.map(() => '---|').join('')}---|`);
const sqldiff = median(theirs);
console.log(`| one row changed: sqldiff --changeset (${pairs} runs) | ${sides.map(() => seconds(sqldiff)).join(' | ')} | |`);
console.log(`| one row changed: sqlferry commit (${pairs} runs) | ${sides.map((s) => `${seconds(median(s.commits))} = **${(sqldiff / median(s.commits)).toFixed(1)}×** faster`).join(' | ')} | ≥ 10× |`);
console.log(`| pull of one entry (one row; ${pairs} runs) | ${sides.map((s) => seconds(median(pulls.get(s)!.pull))).join(' | ')} | |`);
console.log(`| one row changed after that pull: sqlferry commit (${pairs} runs) | ${sides.map((s) => `${seconds(median(pulls.get(s)!.commit))} = **${(sqldiff / median(pulls.get(s)!.commit)).toFixed(1)}×** faster`).join(' | ')} | ≥ 10× |`);
console.log(`| nothing changed: node -e 0 (${startups} runs) | ${node.toFixed(0)} ms | |`);
for (const name of ['sqlferry status', 'sqlferry commit']) {
  console.log(`| nothing changed: ${name} (this build) | ${median(idle[name]!).toFixed(0)} ms = node + **${(median(idle[name]!) - node).toFixed(0)} ms** | < node + 50 ms |`);
}
rmSync(dir, { recursive: true, force: true });
