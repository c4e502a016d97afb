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

const held = Number(process.argv[2] ?? 20);
const runs = Number(process.argv[3] ?? 25);
const dir = mkdtempSync(join(tmpdir(), 'sqlferry-bench-statements-'));
const base = join(dir, 'base.db');

const setup = new DatabaseSync(base);
setup.exec('CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT, price REAL, qty INTEGER, note TEXT)');
setup.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000) INSERT INTO item SELECT i, 'item ' || i, i * 0.25, i % 100, 'old' FROM n`);
setup.close();
copyFileSync(base, join(dir, 'source.db'));
const source = new DatabaseSync(join(dir, 'source.db'));
const changesets: Uint8Array[] = [];
for (let e = 0, nextId = 30_001; e < 10; e++, nextId += 7000) {
  const session = source.createSession();
  const lo = e * 3000 + 1;
  source.exec(`WITH RECURSIVE n(i) AS (SELECT ${nextId} UNION ALL SELECT i + 1 FROM n WHERE i < ${nextId + 6999}) INSERT INTO item SELECT i, 'new ' || i, i * 0.5, i % 7, 'fresh' FROM n`);
  source.exec(`UPDATE item SET qty = qty + 1, note = 'changed' WHERE id BETWEEN ${lo} AND ${lo + 1999}`);
  source.exec(`DELETE FROM item WHERE id BETWEEN ${lo + 2000} AND ${lo + 2999}`);
  changesets.push(session.changeset());
  session.close();
}
source.close();

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
