// Schema changes travel as SQL replayed before the changeset; what cannot be replayed is
// refused with a sentence, and nothing is written.
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { Replica } from '../../src/repo/replica.ts';
import { commit } from '../../src/repo/capture/commit.ts';
import { checkout } from '../../src/repo/base/checkout.ts';
import { SqlferryError } from '../../src/errors/index.ts';
import { cli, dumpSchema, dumpTables, sqlite3, tempDir } from './helpers.ts';

function replicaWith(sql: string): { path: string; replica: Replica; dir: string } {
  const dir = tempDir();
  const path = join(dir, 's.db');
  sqlite3(path, sql);
  return { path, replica: Replica.init(path), dir };
}

describe('schema capture', () => {
  it('replays CREATE/DROP TABLE, ADD COLUMN, indexes, views and triggers, with the rows', () => {
    const { path, replica, dir } = replicaWith(`CREATE TABLE a(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO a VALUES (1, 'x'), (2, 'y');
      CREATE TABLE gone(id INTEGER PRIMARY KEY); CREATE INDEX a_v ON a(v); CREATE VIEW old_view AS SELECT 1;`);
    sqlite3(path, `ALTER TABLE a ADD COLUMN n INTEGER DEFAULT '7'; ALTER TABLE a ADD COLUMN "w, z" TEXT DEFAULT 'p, q';
      UPDATE a SET n = 8 WHERE id = 2; INSERT INTO a(id, v) VALUES (3, 'z');
      CREATE TABLE b(k TEXT PRIMARY KEY, a_id INTEGER REFERENCES a(id)) WITHOUT ROWID; INSERT INTO b VALUES ('k', 1);
      DROP TABLE gone; DROP INDEX a_v; CREATE UNIQUE INDEX a_v2 ON a(v); DROP VIEW old_view; CREATE VIEW v AS SELECT * FROM a JOIN b ON b.a_id = a.id;
      CREATE TRIGGER b_ins AFTER INSERT ON b BEGIN UPDATE a SET n = n + 1 WHERE id = new.a_id; END;`);
    const entry = commit(replica)!;
    expect(entry.schema).toEqual([
      'DROP VIEW "old_view"',
      'DROP INDEX "a_v"',
      'DROP TABLE "gone"',
      `ALTER TABLE "a" ADD COLUMN n INTEGER DEFAULT '7'`,
      `ALTER TABLE "a" ADD COLUMN "w, z" TEXT DEFAULT 'p, q'`,
      'CREATE TABLE b(k TEXT PRIMARY KEY, a_id INTEGER REFERENCES a(id)) WITHOUT ROWID',
      'CREATE UNIQUE INDEX a_v2 ON a(v)',
      'CREATE VIEW v AS SELECT * FROM a JOIN b ON b.a_id = a.id',
      'CREATE TRIGGER b_ins AFTER INSERT ON b BEGIN UPDATE a SET n = n + 1 WHERE id = new.a_id; END',
    ]);
    const rebuilt = checkout(replica, 1, join(dir, 'at1.db'));
    expect(dumpSchema(rebuilt)).toEqual(dumpSchema(path));
    expect(dumpTables(rebuilt)).toEqual(dumpTables(path));
    // rows written before ADD COLUMN read the default with the column's affinity (integer 7)
    expect(sqlite3(rebuilt, 'SELECT typeof(n), n FROM a WHERE id = 1;').trim()).toBe('integer|7');
  });

  for (const [what, sql, message] of [
    ['a dropped column', 'ALTER TABLE t DROP COLUMN v', /column "v" of table "t" was dropped or renamed/],
    ['a renamed column', 'ALTER TABLE t RENAME COLUMN v TO w', /column "v" of table "t" was dropped or renamed/],
    ['a changed primary key', 'DROP TABLE t; CREATE TABLE t(id INTEGER, v TEXT PRIMARY KEY)', /the primary key of table "t" changed/],
  ] as const) {
    it(`refuses ${what}, says what to do, and writes nothing`, () => {
      const { path, replica } = replicaWith(`CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a');`);
      sqlite3(path, `${sql}; CREATE TABLE other(id INTEGER PRIMARY KEY);`);
      try {
        commit(replica);
        expect.unreachable();
      } catch (err) {
        expect((err as SqlferryError).code).toBe('SCHEMA_CHANGE_UNSUPPORTED');
        expect((err as Error).message).toMatch(message);
        expect((err as SqlferryError).hint).toContain('create a table with the new shape under a new name');
      }
      expect(replica.lastSeq()).toBe(0);
      expect(dumpSchema(replica.paths.base)).not.toContain('table other: CREATE TABLE other(id INTEGER PRIMARY KEY)');
    });
  }

  it('status after a dropped column says what it is and what to do, never "cannot commit", exit 0', () => {
    const { path, replica, dir } = replicaWith(`CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a');`);
    sqlite3(path, 'ALTER TABLE t DROP COLUMN v;');
    const r = cli(dir, 'status');
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/cannot commit/);
    expect(r.stdout).toContain('A schema change sqlferry cannot record: column "v" of table "t" was dropped or renamed.\nWhat to do: to reshape "t", create a table');
    expect(JSON.parse(cli(dir, 'status', '--json').stdout)).toMatchObject({ clean: false, blocked: { reason: 'column "v" of table "t" was dropped or renamed' } });
    expect(replica.lastSeq()).toBe(0);
  });
});
