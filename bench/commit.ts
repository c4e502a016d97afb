// Benchmark: `commit` against `sqldiff --changeset` on the same two files, the "nothing
// changed" answer, a one-row `exec`, and commit's peak memory.
// Run: npx node bench/commit.ts [rows]   (default 1,000,000 rows; 1% updated, 0.5% deleted, 0.5% inserted)
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import { Replica } from '../src/repo/replica.ts';
import { commit } from '../src/repo/commit.ts';
import { execSql } from '../src/repo/exec.ts';

const rows = Number(process.argv[2] ?? 1_000_000);
const BIN = fileURLToPath(new URL('../bin/sqlferry.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sqlferry-bench-'));
const live = join(dir, 'live.db');

function sqlite3(db: string, sql: string): void {
  const r = spawnSync('/usr/bin/sqlite3', [db], { input: sql, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
}

/** Wall seconds and peak RSS (MB) of a command, from GNU time. */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { s: number; mb: number; stdout: string } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', cmd, ...args], { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  const [s, kb] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  return { s: s!, mb: kb! / 1024, stdout: r.stdout };
}

function ms(f: () => unknown): number {
  const t = performance.now();
  f();
  return performance.now() - t;
}

console.log(`# ${rows.toLocaleString('en')} rows in ${dir}`);
sqlite3(live, `CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, amount REAL, qty INTEGER, note TEXT);
  WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${rows})
  INSERT INTO t SELECT i, 'name ' || i, i * 0.25, i % 1000, printf('%.40c', 'x') FROM s;`);
const replica = Replica.init(live);
sqlite3(live, `UPDATE t SET amount = amount + 1, note = 'changed' WHERE id % 100 = 7;
  DELETE FROM t WHERE id % 200 = 3;
  WITH RECURSIVE s(i) AS (SELECT ${rows} + 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${rows} + ${rows / 200})
  INSERT INTO t SELECT i, 'new ' || i, 0.5, 1, 'inserted' FROM s;`);

// sqldiff compares every table: give it the base without sqlferry's bookkeeping table.
const plainBase = join(dir, 'base-for-sqldiff.db');
sqlite3(replica.paths.base, `VACUUM INTO '${plainBase}';`);
sqlite3(plainBase, 'DROP TABLE sqlferry_base;');
const cache = join(dir, 'compile-cache');
const cliEnv = { ...process.env, NODE_COMPILE_CACHE: cache };
timed(process.execPath, [BIN, '--help'], cliEnv); // fill the compile cache once, as any earlier run would

const sqldiff = timed('/usr/bin/sqldiff', ['--changeset', join(dir, 'sqldiff.changeset'), plainBase, live]);
const ours = timed(process.execPath, [BIN, '--db', live, 'commit', '-m', 'bench'], cliEnv);
const size = statSync(join(replica.paths.log, '0000000001.changeset')).size;
const theirs = readFileSync(join(dir, 'sqldiff.changeset')).byteLength;

const noopCold = timed(process.execPath, [BIN, '--db', live, 'commit'], { ...process.env, NODE_COMPILE_CACHE: join(dir, 'cold') });
const noopCli = timed(process.execPath, [BIN, '--db', live, 'commit'], cliEnv);
const noopLib = ms(() => commit(Replica.open(live)));
const execCli = timed(process.execPath, [BIN, '--db', live, 'exec', `UPDATE t SET qty = qty + 1 WHERE id = 42`], cliEnv);
const execLib = ms(() => execSql(Replica.open(live), `UPDATE t SET qty = qty + 1 WHERE id = 43`));

const db = new DatabaseSync(live, { readOnly: true });
const dbMb = (Number((db.prepare('PRAGMA page_count').get() as { page_count: number }).page_count) * 4096) / 2 ** 20;
db.close();
const limitMb = (2 * size) / 2 ** 20 + 100;
const row = (what: string, value: string, target: string) => console.log(`| ${what} | ${value} | ${target} |`);
console.log(`database ${dbMb.toFixed(0)} MB; changeset ${(size / 1024).toFixed(0)} KiB (sqldiff's: ${(theirs / 1024).toFixed(0)} KiB)\n`);
console.log('| measure | result | target |\n|---|---|---|');
row('sqldiff --changeset, wall', `${sqldiff.s.toFixed(2)} s`, '');
row('sqlferry commit (CLI process), wall', `${ours.s.toFixed(2)} s = **${(ours.s / sqldiff.s).toFixed(2)}×** sqldiff`, '≤ 1.5×');
row('commit, nothing changed (CLI, compile cache warm)', `${noopCli.s.toFixed(2)} s`, '< 0.2 s');
row('commit, nothing changed (CLI, first run ever)', `${noopCold.s.toFixed(2)} s`, '');
row('commit, nothing changed (library call)', `${(noopLib / 1000).toFixed(3)} s`, '< 0.2 s');
row('exec one-row UPDATE (CLI, compile cache warm)', `${execCli.s.toFixed(2)} s`, '< 0.2 s');
row('exec one-row UPDATE (library call)', `${(execLib / 1000).toFixed(3)} s`, '< 0.2 s');
row('commit peak RSS', `${ours.mb.toFixed(0)} MB`, `< ${limitMb.toFixed(0)} MB (2× changeset + 100 MB)`);
rmSync(dir, { recursive: true, force: true });
