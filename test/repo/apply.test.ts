// apply.ts: trigger and foreign-key effects already in a changeset happen once; a table
// the changeset names but the database lacks (or has with other columns) is refused loudly.
import { describe, it, expect } from 'vitest';
import { DatabaseSync } from 'node:sqlite';
import { applyChecked, withApplyTransaction } from '../../src/repo/apply/apply.ts';
import { SqlferryError } from '../../src/errors/index.ts';

const SCHEMA = `CREATE TABLE parent(id INTEGER PRIMARY KEY, name TEXT);
  CREATE TABLE child(id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent(id) ON DELETE CASCADE);
  CREATE TABLE audit(id INTEGER PRIMARY KEY, what TEXT);
  CREATE TRIGGER parent_audit AFTER INSERT ON parent BEGIN INSERT INTO audit(what) VALUES ('added ' || new.name); END;`;

function recorded(sql: string): { bytes: Uint8Array; source: DatabaseSync } {
  const source = new DatabaseSync(':memory:');
  source.exec(SCHEMA);
  source.exec(`INSERT INTO parent VALUES (1, 'one'); INSERT INTO child VALUES (10, 1), (11, 1);`);
  const session = source.createSession();
  source.exec(sql);
  return { bytes: session.changeset(), source };
}

function target(): DatabaseSync {
  const db = new DatabaseSync(':memory:'); // node:sqlite: foreign keys ON by default
  db.exec(SCHEMA);
  db.exec(`INSERT INTO parent VALUES (1, 'one'); INSERT INTO child VALUES (10, 1), (11, 1);`);
  return db;
}

const count = (db: DatabaseSync, table: string) => Number((db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n);

describe('applyChecked inside withApplyTransaction', () => {
  it('does not run a trigger again: its effect is already in the changeset', () => {
    const { bytes, source } = recorded(`INSERT INTO parent VALUES (2, 'two')`);
    expect(count(source, 'audit')).toBe(2); // the trigger ran once when recorded (plus the seed row)
    const db = target();
    withApplyTransaction(db, ':memory:', () => applyChecked(db, bytes));
    expect(count(db, 'audit')).toBe(count(source, 'audit'));
    // and the trigger is still there afterwards
    db.exec(`INSERT INTO parent VALUES (3, 'three')`);
    expect(count(db, 'audit')).toBe(count(source, 'audit') + 1);
  });

  it('applies a cascade delete recorded in the changeset without NOTFOUND conflicts, and restores foreign keys', () => {
    const { bytes, source } = recorded(`PRAGMA foreign_keys = ON; DELETE FROM parent WHERE id = 1`);
    expect(count(source, 'child')).toBe(0);
    const db = target();
    withApplyTransaction(db, ':memory:', () => applyChecked(db, bytes));
    expect(count(db, 'child')).toBe(0);
    expect(count(db, 'parent')).toBe(0);
    expect(Number((db.prepare('PRAGMA foreign_keys').get() as { foreign_keys: number }).foreign_keys)).toBe(1);
  });

  it('refuses a changeset for a missing table and leaves the database as it was', () => {
    const { bytes } = recorded(`INSERT INTO audit(what) VALUES ('x'); INSERT INTO parent VALUES (5, 'five')`);
    const db = new DatabaseSync(':memory:');
    db.exec(`CREATE TABLE parent(id INTEGER PRIMARY KEY, name TEXT)`);
    const run = () => withApplyTransaction(db, 'test.db', () => applyChecked(db, bytes));
    expect(run).toThrowError(/table "audit": there is no such table/);
    expect(count(db, 'parent')).toBe(0);
  });

  it('refuses a missing table that the changeset reaches after another one, undoing the first table too', () => {
    const { bytes } = recorded(`INSERT INTO parent VALUES (5, 'five'); INSERT INTO child VALUES (12, 5); INSERT INTO audit(what) VALUES ('x')`);
    const db = new DatabaseSync(':memory:');
    db.exec(`CREATE TABLE parent(id INTEGER PRIMARY KEY, name TEXT); CREATE TABLE child(id INTEGER PRIMARY KEY, parent INTEGER)`);
    const run = () => withApplyTransaction(db, 'test.db', () => applyChecked(db, bytes));
    expect(run).toThrowError(/table "audit": there is no such table/);
    expect(count(db, 'parent') + count(db, 'child')).toBe(0);
  });

  it('refuses a table with fewer columns than the changeset', () => {
    const { bytes } = recorded(`INSERT INTO parent VALUES (5, 'five')`);
    const db = new DatabaseSync(':memory:');
    db.exec(`CREATE TABLE parent(id INTEGER PRIMARY KEY)`);
    try {
      withApplyTransaction(db, 'test.db', () => applyChecked(db, bytes));
      expect.unreachable();
    } catch (err) {
      expect((err as SqlferryError).code).toBe('SCHEMA_MISMATCH');
      expect((err as Error).message).toContain('it has 1 columns here, 2 in the changes');
    }
  });

  it('rolls everything back when a conflict aborts, and when the foreign key check fails', () => {
    const { bytes } = recorded(`UPDATE parent SET name = 'uno' WHERE id = 1`);
    const db = target();
    db.exec(`UPDATE parent SET name = 'changed here'`);
    expect(() => withApplyTransaction(db, 'test.db', () => applyChecked(db, bytes))).toThrowError(/conflict/);
    const orphan = recorded(`PRAGMA foreign_keys = OFF; INSERT INTO child VALUES (12, 99)`).bytes;
    const db2 = target();
    expect(() => withApplyTransaction(db2, 'test.db', () => applyChecked(db2, orphan), { foreignKeyCheck: true })).toThrowError(/reference missing rows/);
    expect(count(db2, 'child')).toBe(2);
    expect(db2.isTransaction).toBe(false);
  });

  it('refuses a well-formed file whose value SQLite will not store, applying none of it', () => {
    // parent: an INSERT of (1.5, NULL) after an INSERT of (7, 'seven'); a REAL cannot be a rowid.
    const real = new Uint8Array(9);
    real[0] = 2;
    new DataView(real.buffer).setFloat64(1, 1.5);
    const int7 = [1, 0, 0, 0, 0, 0, 0, 0, 7];
    const bytes = Uint8Array.from([0x54, 2, 1, 0, ...new TextEncoder().encode('parent'), 0, 0x12, 0, ...int7, 3, 5, ...new TextEncoder().encode('seven'), 0x12, 0, ...real, 5]);
    const db = target();
    try {
      withApplyTransaction(db, 'test.db', () => applyChecked(db, bytes));
      expect.unreachable();
    } catch (err) {
      expect((err as SqlferryError).code).toBe('APPLY_REFUSED');
      expect((err as Error).message).toBe('SQLite refused a value in the changes (datatype mismatch); nothing was applied');
    }
    expect(count(db, 'parent')).toBe(1);
  });
});
