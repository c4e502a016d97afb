// A schema with AFTER triggers writing an audit table and ON DELETE CASCADE children, edited
// on two replicas by applications with foreign keys on: the triggers' rows are captured once
// and must not be written again by any apply; cascades must not delete what the changesets
// keep; all replicas end identical, without false conflicts.
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { dumpTables } from '../repo/helpers.ts';
import { cli, ok, tempDir } from './helpers.ts';

const SCHEMA = `
  CREATE TABLE author(id INTEGER PRIMARY KEY, name TEXT NOT NULL);
  CREATE TABLE book(id INTEGER PRIMARY KEY, author_id INT NOT NULL REFERENCES author(id) ON DELETE CASCADE, title TEXT);
  CREATE TABLE audit(id INTEGER PRIMARY KEY AUTOINCREMENT, what TEXT, row_id INT);
  CREATE TRIGGER book_ins AFTER INSERT ON book BEGIN INSERT INTO audit(what, row_id) VALUES ('book+', new.id); END;
  CREATE TRIGGER book_del AFTER DELETE ON book BEGIN INSERT INTO audit(what, row_id) VALUES ('book-', old.id); END;
  CREATE TRIGGER author_upd AFTER UPDATE OF name ON author BEGIN UPDATE book SET title = title || '*' WHERE author_id = new.id; END;`;

function app(path: string, sql: string): void {
  const db = new DatabaseSync(path, { timeout: 5000 });
  try {
    db.exec('PRAGMA foreign_keys = ON');
    db.exec(sql);
  } finally {
    db.close();
  }
}

describe('triggers and cascades across replicas', () => {
  it('applies each trigger effect once, cascades nothing extra, and converges', () => {
    const dir = tempDir();
    const run = (db: string, ...args: string[]) => cli(dir, '--db', db, ...args);
    ok(cli(dir, 'init', '--bare', 'hub'));
    app(join(dir, 'a.db'), `${SCHEMA} INSERT INTO author VALUES (1, 'Ann'), (2, 'Bob'), (3, 'Cy'); INSERT INTO book VALUES (1, 1, 'a1'), (2, 2, 'b1'), (3, 2, 'b2'), (4, 3, 'c1');`);
    ok(cli(dir, 'init', 'a.db'));
    ok(run('a.db', 'remote', 'add', 'origin', join(dir, 'hub')));
    ok(run('a.db', 'sync'));
    ok(cli(dir, 'clone', join(dir, 'hub'), 'b.db'));
    const audit = (db: string) => new DatabaseSync(join(dir, db), { readOnly: true }).prepare('SELECT count(*) AS n FROM audit').get()!.n;
    expect(audit('b.db')).toBe(4);

    // a: a cascade (author 2 and its two books, two audit rows); b: new books (audit rows) and a
    // rename whose trigger retitles books — none of them collide.
    app(join(dir, 'a.db'), "DELETE FROM author WHERE id = 2; INSERT INTO book VALUES (10, 1, 'a2');");
    app(join(dir, 'b.db'), "INSERT INTO book VALUES (20, 3, 'c2'), (21, 3, 'c3'); UPDATE author SET name = 'Cyd' WHERE id = 3;");
    ok(run('a.db', 'sync'));
    const b = run('b.db', 'sync');
    // AUTOINCREMENT audit ids collide (both replicas made audit rows 5, 6, …): that is a real
    // primary-key conflict, reported (3), and the hub's rows win; nothing else may conflict.
    ok(b, 0, 3);
    expect(b.stderr.split('\n').filter((l) => /^conflict/.test(l) && !/ on audit /.test(l))).toEqual([]);
    ok(run('a.db', 'sync'));
    const [ta, tb] = [dumpTables(join(dir, 'a.db')), dumpTables(join(dir, 'b.db'))];
    expect(tb).toEqual(ta);
    const db = new DatabaseSync(join(dir, 'a.db'), { readOnly: true });
    expect(db.prepare('SELECT id, author_id, title FROM book ORDER BY id').all().map((r) => `${r.id}:${r.author_id}:${r.title}`))
      .toEqual(['1:1:a1', '4:3:c1*', '10:1:a2', '20:3:c2*', '21:3:c3*']);
    // One audit row per event that happened, none twice.
    const events = db.prepare('SELECT what, row_id, count(*) AS n FROM audit GROUP BY what, row_id HAVING n > 1').all();
    expect(events).toEqual([]);
    expect(db.prepare('PRAGMA foreign_key_check').all()).toEqual([]);
    db.close();
    for (const r of ['a.db', 'b.db']) ok(run(r, 'verify'));
  });

  it('a book added on one replica for an author deleted (with cascade) on the other: no orphan, the book is kept in the conflict store', () => {
    const dir = tempDir();
    const run = (db: string, ...args: string[]) => cli(dir, '--db', db, ...args);
    ok(cli(dir, 'init', '--bare', 'hub'));
    app(join(dir, 'a.db'), `${SCHEMA} INSERT INTO author VALUES (1, 'Ann'), (2, 'Bob'); INSERT INTO book VALUES (1, 2, 'b1');`);
    ok(cli(dir, 'init', 'a.db'));
    ok(run('a.db', 'remote', 'add', 'origin', join(dir, 'hub')));
    ok(run('a.db', 'sync'));
    ok(cli(dir, 'clone', join(dir, 'hub'), 'b.db'));
    app(join(dir, 'a.db'), 'DELETE FROM author WHERE id = 2;');
    app(join(dir, 'b.db'), "UPDATE book SET title = 'b1 edited' WHERE id = 1; INSERT INTO book VALUES (5, 2, 'b new');");
    ok(run('a.db', 'sync'));
    const b = run('b.db', 'sync');
    ok(b, 0, 3);
    ok(run('a.db', 'sync'));
    expect(dumpTables(join(dir, 'b.db'))).toEqual(dumpTables(join(dir, 'a.db')));
    for (const r of ['a.db', 'b.db']) {
      const db = new DatabaseSync(join(dir, r), { readOnly: true });
      expect(db.prepare('PRAGMA foreign_key_check').all()).toEqual([]);
      db.close();
      ok(run(r, 'verify'));
    }
    // Whatever was decided, b's new book is not silently gone: it is on the hub or in b's store.
    const stored = ok(run('b.db', 'conflicts', 'list', '--json')).stdout;
    const kept = new DatabaseSync(join(dir, 'a.db'), { readOnly: true }).prepare('SELECT count(*) AS n FROM book WHERE id = 5').get()!.n;
    expect(kept === 1 || stored.includes('b new')).toBe(true);
  });
});
