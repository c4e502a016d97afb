// Benchmark: what `commit` and `status` cost when little or nothing changed, CLI against CLI
// (process start-up counted on both sides), runs alternating in one go:
//   - 10 tables × N rows, one row changed in one table: `sqlferry commit` vs `sqldiff --changeset`
//     (target ≥ 10× faster);
//   - nothing changed: `sqlferry status` and `sqlferry commit` vs `node -e 0` (target < 50 ms
//     above it, on a database of about 1 GB at N = 1,000,000).
// Run: npx node bench/pages.ts [rows per table = 1000000] [pairs = 3] [start-up runs = 11]
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const rows = Number(process.argv[2] ?? 1_000_000);
const pairs = Number(process.argv[3] ?? 3);
const startups = Number(process.argv[4] ?? 11);
const TABLES = 10;
const BIN = fileURLToPath(new URL('../bin/sqlferry.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sqlferry-bench-pages-'));
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
const sqlferry = (...args: string[]): string[] => [process.execPath, BIN, '--db', live, ...args];

let t = performance.now();
for (let i = 0; i < TABLES; i++) {
  sqlite3(live, `CREATE TABLE t${i}(id INTEGER PRIMARY KEY, name TEXT, amount REAL, qty INTEGER, note TEXT);
    WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${rows})
    INSERT INTO t${i} SELECT i, 'name ' || i, i * 0.25, i % 1000, printf('%.60c', 'x') FROM s;`);
}
const mb = statSync(live).size / 2 ** 20;
console.log(`# ${TABLES} tables × ${rows.toLocaleString('en')} rows: ${mb.toFixed(0)} MB, built in ${((performance.now() - t) / 1000).toFixed(0)} s (${dir})`);
run(sqlferry('init'));
t = performance.now();
const first = run(sqlferry('-v', 'commit')); // nothing changed, but no page map yet: compares all, records one
console.log(`# first commit after init: ${((performance.now() - t) / 1000).toFixed(1)} s (${first.stderr.trim()})`);
const before = join(dir, 'before.db'); // what sqldiff compares with: the database as committed
copyFileSync(live, before);

const ours: number[] = [];
const theirs: number[] = [];
let how = '';
for (let p = 0; p < pairs; p++) {
  sqlite3(live, `UPDATE t${(3 + p) % TABLES} SET qty = qty + 1 WHERE id = ${Math.floor(rows / 2) + p};`);
  const sqldiff = () => theirs.push(run(['/usr/bin/sqldiff', '--changeset', join(dir, 'sqldiff.changeset'), before, live]).ms);
  const commit = () => {
    const r = run(sqlferry('-v', 'commit'));
    ours.push(r.ms);
    how = r.stderr.trim();
  };
  const order = p % 2 === 0 ? [sqldiff, commit] : [commit, sqldiff];
  for (const step of order) step();
}

const idle: Record<string, number[]> = { 'node -e 0': [], 'sqlferry status': [], 'sqlferry commit': [] };
for (let i = 0; i < startups; i++) {
  idle['node -e 0']!.push(run([process.execPath, '-e', '0']).ms);
  idle['sqlferry status']!.push(run(sqlferry('status')).ms);
  idle['sqlferry commit']!.push(run(sqlferry('commit')).ms);
}

const node = median(idle['node -e 0']!);
console.log(`\n${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, load average ${loadavg()[0]!.toFixed(1)}; medians`);
console.log(`commit said: ${how}\n`);
console.log('| measure | result | target |\n|---|---|---|');
console.log(`| one row changed: sqldiff --changeset (${pairs} runs) | ${(median(theirs) / 1000).toFixed(2)} s | |`);
console.log(`| one row changed: sqlferry commit (${pairs} runs) | ${(median(ours) / 1000).toFixed(2)} s = **${(median(theirs) / median(ours)).toFixed(1)}×** faster | ≥ 10× |`);
console.log(`| nothing changed: node -e 0 (${startups} runs) | ${node.toFixed(0)} ms | |`);
for (const name of ['sqlferry status', 'sqlferry commit']) {
  console.log(`| nothing changed: ${name} | ${median(idle[name]!).toFixed(0)} ms = node + **${(median(idle[name]!) - node).toFixed(0)} ms** | < node + 50 ms |`);
}
rmSync(dir, { recursive: true, force: true });
