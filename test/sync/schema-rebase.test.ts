// A laptop's unpushed schema change (a column, a table, an index) rebases onto what the server
// pushed meanwhile, like data does; what cannot be undone or collides is refused, nothing applied.
import { describe, it, expect } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { dumpSchema, dumpTables } from '../repo/helpers.ts';
import { cli, ok, sqlite3, tempDir } from '../adversarial/helpers.ts';
import { cloneReplica, firstReplica, newHub } from './helpers.ts';

type Setup = { dir: string; run: (db: string, ...args: string[]) => ReturnType<typeof cli>; db: (name: string) => string };

/** server.db pushed first; laptop.db cloned from the hub. Made in-process: only the syncs after it are the CLI's to test. */
async function setup(): Promise<Setup> {
  const dir = tempDir('sqlferry-schema-rebase-');
  const hub = await newHub(dir);
  await firstReplica(dir, hub, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, 'three'); CREATE TABLE u(id INTEGER PRIMARY KEY, x);", 'server');
  await cloneReplica(dir, hub, 'laptop');
  return { dir, run: (db, ...args) => cli(dir, '--db', db, ...args), db: (name) => join(dir, name) };
}

function serverPushesEdits(s: Setup): void {
  sqlite3(s.db('server.db'), "UPDATE t SET v = 'S2' WHERE id = 2; DELETE FROM t WHERE id = 3; INSERT INTO t VALUES (4, 's4');");
  ok(s.run('server.db', 'sync'));
}

function converged(s: Setup): void {
  ok(s.run('server.db', 'sync'));
  expect(dumpSchema(s.db('laptop.db'))).toEqual(dumpSchema(s.db('server.db')));
  expect(dumpTables(s.db('laptop.db'))).toEqual(dumpTables(s.db('server.db')));
  for (const db of ['server.db', 'laptop.db']) ok(s.run(db, 'verify'));
}

/** Everything a refused sync must leave as it was: content, schema, log. */
function snapshot(s: Setup, name: string): unknown {
  return { schema: dumpSchema(s.db(name)), tables: dumpTables(s.db(name)), log: readdirSync(join(s.dir, `${name}.sqlferry`, 'log')).sort() };
}

describe('rebasing unpushed schema changes', () => {
  it('a column added and filled on the laptop, while the server edited the same table', async () => {
    const s = await setup();
    sqlite3(s.db('laptop.db'), "ALTER TABLE t ADD COLUMN note TEXT DEFAULT 'none'; CREATE INDEX t_note ON t(note); UPDATE t SET note = 'n1' WHERE id = 1; UPDATE t SET note = 'n2' WHERE id = 2; INSERT INTO t VALUES (5, 'l5', 'n5');");
    ok(s.run('laptop.db', 'commit', '-m', 'notes'));
    serverPushesEdits(s);
    ok(s.run('laptop.db', 'sync'));
    converged(s);
    expect(sqlite3(s.db('server.db'), 'SELECT id, v, note FROM t ORDER BY id;').trim().split('\n')).toEqual(['1|one|n1', '2|S2|n2', '4|s4|none', '5|l5|n5']);
    expect(dumpSchema(s.db('server.db'))).toEqual(expect.arrayContaining(["table t: CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, note TEXT DEFAULT 'none')", 'index t_note: CREATE INDEX t_note ON t(note)']));
  });

  it('rows the laptop wrote before and after adding a column, while the server edited the same table', async () => {
    const s = await setup();
    sqlite3(s.db('laptop.db'), "INSERT INTO t VALUES (6, 'l6'); UPDATE t SET v = 'L1' WHERE id = 1; DELETE FROM t WHERE id = 2;");
    ok(s.run('laptop.db', 'commit', '-m', 'rows first'));
    sqlite3(s.db('laptop.db'), "ALTER TABLE t ADD COLUMN note TEXT DEFAULT 'none'; UPDATE t SET note = 'n6' WHERE id = 6; INSERT INTO t VALUES (7, 'l7', 'n7');");
    ok(s.run('laptop.db', 'commit', '-m', 'then a column'));
    sqlite3(s.db('server.db'), "UPDATE t SET v = 'S3' WHERE id = 3; INSERT INTO t VALUES (4, 's4');");
    ok(s.run('server.db', 'sync'));
    ok(s.run('laptop.db', 'sync'));
    converged(s);
    expect(sqlite3(s.db('server.db'), 'SELECT id, v, note FROM t ORDER BY id;').trim().split('\n')).toEqual(['1|L1|none', '3|S3|none', '4|s4|none', '6|l6|n6', '7|l7|n7']);
  });

  it('the same, with a row both sides changed: the conflict is settled on the widened row, whole', async () => {
    const s = await setup();
    sqlite3(s.db('laptop.db'), "UPDATE t SET v = 'L3' WHERE id = 3; INSERT INTO t VALUES (6, 'l6');");
    ok(s.run('laptop.db', 'commit', '-m', 'rows first'));
    sqlite3(s.db('laptop.db'), "ALTER TABLE t ADD COLUMN note TEXT DEFAULT 'none'; UPDATE t SET note = 'n3' WHERE id = 3;");
    ok(s.run('laptop.db', 'commit', '-m', 'then a column'));
    sqlite3(s.db('server.db'), "UPDATE t SET v = 'S3' WHERE id = 3;");
    ok(s.run('server.db', 'sync'));
    const synced = s.run('laptop.db', 'sync');
    expect(synced.status).toBe(3);
    expect(synced.stderr).toMatch(/^conflict #1: data on t \{"id":3\}/);
    converged(s);
    // The default handler keeps the hub's row: the laptop's change to row 3 (v, then note) is the
    // losing version, kept in the conflict store with its note.
    expect(sqlite3(s.db('server.db'), 'SELECT id, v, note FROM t ORDER BY id;').trim().split('\n')).toEqual(['1|one|none', '2|two|none', '3|S3|none', '6|l6|none']);
    expect(JSON.parse(s.run('laptop.db', 'conflicts', 'show', '1', '--json').stdout)).toMatchObject({ local: { id: 3, v: 'L3', note: 'n3' }, remote: { id: 3, v: 'S3', note: 'none' } });
  });

  it('a table and an index created on the laptop, with rows, while the server pushed', async () => {
    const s = await setup();
    sqlite3(s.db('laptop.db'), "CREATE TABLE notes(id INTEGER PRIMARY KEY, t_id INT REFERENCES t(id), body TEXT); CREATE INDEX notes_t ON notes(t_id); INSERT INTO notes VALUES (1, 1, 'first'), (2, 2, 'second');");
    ok(s.run('laptop.db', 'commit', '-m', 'a notes table'));
    sqlite3(s.db('laptop.db'), "INSERT INTO notes VALUES (3, 1, 'uncommitted'); UPDATE t SET v = 'L1' WHERE id = 1;");
    serverPushesEdits(s);
    ok(s.run('laptop.db', 'sync'));
    converged(s);
    expect(sqlite3(s.db('server.db'), 'SELECT id, t_id, body FROM notes ORDER BY id;').trim().split('\n')).toEqual(['1|1|first', '2|2|second', '3|1|uncommitted']);
    expect(sqlite3(s.db('server.db'), 'SELECT id, v FROM t ORDER BY id;').trim().split('\n')).toEqual(['1|L1', '2|S2', '4|s4']);
    expect(dumpSchema(s.db('server.db'))).toContain('index notes_t: CREATE INDEX notes_t ON notes(t_id)');
  });

  it('refuses, changing nothing, when both sides added a column of the same name', async () => {
    const s = await setup();
    sqlite3(s.db('server.db'), "ALTER TABLE t ADD COLUMN note TEXT; UPDATE t SET note = 'server' WHERE id = 1;");
    ok(s.run('server.db', 'sync'));
    sqlite3(s.db('laptop.db'), "ALTER TABLE t ADD COLUMN note INTEGER; UPDATE t SET note = 7 WHERE id = 2;");
    ok(s.run('laptop.db', 'commit'));
    const before = snapshot(s, 'laptop.db');
    const refused = ok(s.run('laptop.db', 'sync'), 1);
    expect(refused.stderr).toMatch(/^error: cannot rebase: the local `ALTER TABLE "t" ADD COLUMN note INTEGER` does not apply after the hub's `ALTER TABLE "t" ADD COLUMN note TEXT` \(duplicate column name: note\), so nothing was applied — clone the hub again/);
    expect(refused.stderr.split('\n')[0]).not.toMatch(/\.\s+\S/); // one sentence
    expect(snapshot(s, 'laptop.db')).toEqual(before);
    ok(s.run('laptop.db', 'verify'));
  });

  it('still refuses a local DROP TABLE once the hub has moved on', async () => {
    const s = await setup();
    sqlite3(s.db('laptop.db'), 'DROP TABLE u;');
    ok(s.run('laptop.db', 'commit'));
    serverPushesEdits(s);
    const before = snapshot(s, 'laptop.db');
    const refused = ok(s.run('laptop.db', 'sync'), 1);
    expect(refused.stderr).toMatch(/cannot rebase the local schema change `DROP TABLE "u"`/);
    expect(snapshot(s, 'laptop.db')).toEqual(before);
  });
});
