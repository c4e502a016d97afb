// `sqlferry status` and `sqlferry commit` with nothing changed, against a bare `node -e 0`, side
// by side in one run, CLI as users run it, start-up counted (issue 15: each under node -e 0 +
// 50 ms): from this checkout (its TypeScript, as a contributor runs it), from the npm package
// installed with `npm install -g` (the bundled JavaScript users run) and, given a git revision
// BEFORE, from that revision's npm package. The database: 10 tables × ROWS rows (BENCH_ROWS,
// default 1000; 1000000 makes ≈ 0.9 GB, as bench/pages.ts builds it), made a replica and
// checked once; every build then runs on that one replica: with nothing changed, status and
// commit answer from the fingerprint, reading no table. Files go under BENCH_DIR (a large
// database wants room; default the temp dir) and are removed at the end. Wall and CPU (user +
// system) medians; on a loaded machine CPU time is the steadier figure.
// Run: npx node bench/noop-commands.ts [runs] [BEFORE]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { checkoutOf, installPackage, median, root, timed, type Timed } from './npm-package.ts';

const runs = Number(process.argv[2] ?? 21);
const before = process.argv[3];
const rows = Number(process.env.BENCH_ROWS ?? 1000);
const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'sqlferry-bench-noop-commands-'));
const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}`, NODE_COMPILE_CACHE: join(dir, 'compile-cache') };
const run = (argv: string[]): Promise<Timed> => timed(argv, dir, env, join(dir, 'run.err'));

try {
  const db = join(dir, 'app.db');
  const tables = Array.from({ length: 10 }, (_, i) => `CREATE TABLE t${i}(id INTEGER PRIMARY KEY, name TEXT, amount REAL, qty INTEGER, note TEXT);
    WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${rows})
    INSERT INTO t${i} SELECT i, 'name ' || i, i * 0.25, i % 1000, printf('%.60c', 'x') FROM s;`);
  const made = spawnSync('sqlite3', [db], { input: tables.join('\n'), encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`sqlite3: ${made.stderr}`);
  const checkout = [process.execPath, join(root, 'bin', 'sqlferry.js')];
  const builds = [
    { name: 'this checkout (TypeScript)', sqlferry: checkout },
    { name: 'npm install -g', sqlferry: [installPackage(root, 'now', dir, env)] },
    ...(before ? [{ name: `npm install -g of ${before}`, sqlferry: [installPackage(checkoutOf(before, dir), 'before', dir, env)] }] : []),
  ];
  await run([...checkout, 'init', db]);
  await run([...checkout, '--db', db, 'status']); // compares every table once, records the fingerprint
  const cases = [
    { name: 'node -e 0', argv: [process.execPath, '-e', '0'] },
    ...builds.flatMap((b) => ['status', 'commit'].map((command) => ({ name: `sqlferry ${command}, ${b.name}`, argv: [...b.sqlferry, '--db', db, command] }))),
  ];
  const times = cases.map(() => [] as Timed[]);
  for (let i = 0; i < 3; i++) for (const c of cases) await run(c.argv);
  for (let i = 0; i < runs; i++) for (const [k, c] of cases.entries()) times[k]!.push(await run(c.argv));
  const wall = times.map((t) => median(t.map((x) => x.wall)));
  const cpu = times.map((t) => median(t.map((x) => x.cpu)));
  const ms = (s: number) => `${s >= 0 ? '+' : ''}${Math.round(s * 1000)} ms`;
  console.log(`${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model}, load ${loadavg()[0]!.toFixed(2)}, ${runs} runs each, alternating`);
  console.log(`database: 10 tables × ${rows} rows, ${(statSync(db).size / 1e6).toFixed(0)} MB`);
  console.log('| command | wall, median | over node -e 0 | CPU, median | over node -e 0 |');
  console.log('|---|---|---|---|---|');
  cases.forEach((c, k) => console.log(`| ${c.name} | ${wall[k]!.toFixed(3)} s | ${k ? ms(wall[k]! - wall[0]!) : ''} | ${cpu[k]!.toFixed(3)} s | ${k ? ms(cpu[k]! - cpu[0]!) : ''} |`));
  console.log(`target: under node -e 0 + 50 ms wall, ${(wall[0]! + 0.05).toFixed(3)} s`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
