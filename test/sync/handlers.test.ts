// Each built-in handler on real rows: what each side ends up with, and what the conflict store keeps.
import { describe, it, expect } from 'vitest';
import { ConflictStore } from '../../src/repo/conflicts/conflict-store.ts';
import { readableRow } from '../../src/repo/conflicts/exact-json.ts';
import { jsonReplacer } from '../../src/cli/output.ts';
import type { Replica } from '../../src/repo/replica.ts';
import { readFileSync, writeFileSync } from 'node:fs';
import { pull } from '../../src/sync/pull.ts';
import { cloneReplica, collide, commitAll, firstReplica, newHub, pullWith, pushTo, rows, sql, tempDir, withRemote } from './helpers.ts';

const SCHEMA = `
  CREATE TABLE author(id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT, updated_at INT);
  CREATE TABLE book(id INTEGER PRIMARY KEY, author_id INT REFERENCES author(id), title TEXT);
  INSERT INTO author VALUES (1, 'ann@x', 'Ann', 100);`;

function stored(replica: Replica) {
  const store = new ConflictStore(replica.paths.conflicts);
  try {
    const list = store.list().map((c) => ({ kind: c.kind, table: c.table, handler: c.handler, discarded: c.discarded, local: readableRow(c.local), remote: readableRow(c.remote) }));
    return JSON.parse(JSON.stringify(list, jsonReplacer)) as typeof list;
  } finally {
    store.close();
  }
}

/** After b's rebased commit is pushed and a pulls it, both hold the same rows. */
async function settle(hub: string, a: Replica, b: Replica) {
  await pushTo(b, hub);
  await pullWith(a, hub);
  expect(rows(a.paths.db, 'author')).toEqual(rows(b.paths.db, 'author'));
  expect(rows(a.paths.db, 'book')).toEqual(rows(b.paths.db, 'book'));
}

const annBy = (name: string, at: number) => `UPDATE author SET name = '${name}', updated_at = ${at} WHERE id = 1`;

describe('conflict handlers', () => {
  it('default (remote): the hub keeps its version, the local one is stored', async () => {
    const { hub, a, b, result } = await collide(tempDir(), SCHEMA, annBy('Ann A', 200), annBy('Ann B', 300));
    expect(rows(b.paths.db, 'author')).toEqual([{ id: 1, email: 'ann@x', name: 'Ann A', updated_at: 200 }]);
    expect(result.conflicts).toHaveLength(1);
    expect(stored(b)).toEqual([{ kind: 'data', table: 'author', handler: 'remote', discarded: 'local', local: { id: 1, email: 'ann@x', name: 'Ann B', updated_at: 300 }, remote: { id: 1, email: 'ann@x', name: 'Ann A', updated_at: 200 } }]);
    await settle(hub, a, b);
  });

  it('local: this replica wins, the hub version it overwrote is stored', async () => {
    const { hub, a, b } = await collide(tempDir(), SCHEMA, annBy('Ann A', 200), annBy('Ann B', 300), ['local']);
    expect(rows(b.paths.db, 'author')[0]).toMatchObject({ name: 'Ann B', updated_at: 300 });
    expect(stored(b)[0]).toMatchObject({ discarded: 'remote', remote: { name: 'Ann A' } });
    await settle(hub, a, b);
    expect(rows(a.paths.db, 'author')[0]).toMatchObject({ name: 'Ann B' });
  });

  it("config.json's conflictHandlers settle a library pull() given no handlers; a rule naming no table is refused before anything moves", async () => {
    const dir = tempDir();
    const hub = await newHub(dir);
    const a = await firstReplica(dir, hub, SCHEMA);
    const b = await cloneReplica(dir, hub, 'b');
    sql(a.paths.db, annBy('Ann A', 200));
    commitAll(a);
    await pushTo(a, hub);
    sql(b.paths.db, annBy('Ann B', 300));
    commitAll(b);
    const config = JSON.parse(readFileSync(b.paths.config, 'utf8'));
    writeFileSync(b.paths.config, JSON.stringify({ ...config, conflictHandlers: ['athor=local'] }));
    await expect(withRemote(hub, (r) => pull(b, r, {}))).rejects.toThrow('the database has no table "athor"');
    expect(rows(b.paths.db, 'author')[0]).toMatchObject({ name: 'Ann B' });
    writeFileSync(b.paths.config, JSON.stringify({ ...config, conflictHandlers: ['author=local'] }));
    await withRemote(hub, (r) => pull(b, r, {}));
    expect(rows(b.paths.db, 'author')[0]).toMatchObject({ name: 'Ann B', updated_at: 300 });
    expect(stored(b)[0]).toMatchObject({ handler: 'local', discarded: 'remote' });
  });

  it('newest:updated_at: the greater value wins on either side; a tie keeps the hub version', async () => {
    const later = await collide(tempDir(), SCHEMA, annBy('Ann A', 200), annBy('Ann B', 300), ['author=newest:updated_at']);
    expect(rows(later.b.paths.db, 'author')[0]).toMatchObject({ name: 'Ann B' });
    const earlier = await collide(tempDir(), SCHEMA, annBy('Ann A', 300), annBy('Ann B', 200), ['author=newest:updated_at']);
    expect(rows(earlier.b.paths.db, 'author')[0]).toMatchObject({ name: 'Ann A' });
    const tie = await collide(tempDir(), SCHEMA, annBy('Ann A', 300), annBy('Ann B', 300), ['newest:updated_at']);
    expect(rows(tie.b.paths.db, 'author')[0]).toMatchObject({ name: 'Ann A' });
    await settle(later.hub, later.a, later.b);
  });

  it('newest:updated_at compares numbers as numbers: 10 is newer than 9, on either side', async () => {
    const mine = await collide(tempDir(), SCHEMA, annBy('Ann A', 9), annBy('Ann B', 10), ['author=newest:updated_at']);
    expect(rows(mine.b.paths.db, 'author')[0]).toMatchObject({ name: 'Ann B', updated_at: 10 });
    expect(mine.result.conflicts[0]).toMatchObject({ resolution: 'keep-local', discarded: 'remote' });
    const theirs = await collide(tempDir(), SCHEMA, annBy('Ann A', 10), annBy('Ann B', 9), ['author=newest:updated_at']);
    expect(rows(theirs.b.paths.db, 'author')[0]).toMatchObject({ name: 'Ann A', updated_at: 10 });
  });

  it('abort: nothing is applied, and the conflicts are listed with their rows', async () => {
    const dir = tempDir();
    const attempt = collide(dir, SCHEMA, annBy('Ann A', 200), annBy('Ann B', 300), ['abort']);
    await expect(attempt).rejects.toMatchObject({
      code: 'SYNC_CONFLICT_ABORT',
      message: expect.stringMatching(/data on author \{"id":1\}/),
      data: { conflicts: [expect.objectContaining({ kind: 'data', remote: expect.objectContaining({ name: 'Ann A' }), local: expect.objectContaining({ new: expect.objectContaining({ name: 'Ann B' }) }) })] },
    });
    // b still has its own edit and not the hub's entry.
    expect(rows(`${dir}/b.db`, 'author')[0]).toMatchObject({ name: 'Ann B' });
  });

  it('rekey: a colliding local insert gets a fresh key and its local books follow', async () => {
    const { hub, a, b, result } = await collide(
      tempDir(), SCHEMA,
      "INSERT INTO author VALUES (2, 'al@x', 'Al', 1)",
      "INSERT INTO author VALUES (2, 'bo@x', 'Bo', 1); INSERT INTO book VALUES (10, 2, 'Bo''s book')",
      ['author.primary-key=rekey'],
    );
    expect(rows(b.paths.db, 'author').map((r) => [r.id, r.name])).toEqual([[1, 'Ann'], [2, 'Al'], [3, 'Bo']]);
    expect(rows(b.paths.db, 'book')).toEqual([{ id: 10, author_id: 3, title: "Bo's book" }]);
    expect(result.conflicts[0]).toMatchObject({ kind: 'primary-key', resolution: 'rekey', discarded: 'none' });
    await settle(hub, a, b);
  });

  it('rekey: the fresh key is past the keys in use, not count(*)+1 (gaps) nor past this replica\'s rows only', async () => {
    // b's rows 1, 4 (a gap); the hub's 1, 4, 5, 6: count(*)+1 would be 5, b's own largest + 1 too.
    const { hub, a, b, result } = await collide(
      tempDir(), SCHEMA,
      "INSERT INTO author VALUES (4, 'al@x', 'Al', 1), (5, 'cy@x', 'Cy', 1), (6, 'di@x', 'Di', 1)",
      "INSERT INTO author VALUES (4, 'bo@x', 'Bo', 1)",
      ['author.primary-key=rekey'],
    );
    expect(rows(b.paths.db, 'author').map((r) => [r.id, r.name])).toEqual([[1, 'Ann'], [4, 'Al'], [5, 'Cy'], [6, 'Di'], [7, 'Bo']]);
    expect(result.conflicts).toEqual([expect.objectContaining({ kind: 'primary-key', resolution: 'rekey', discarded: 'none' })]);
    await settle(hub, a, b);
  });

  it('a row deleted on both sides is no conflict at all', async () => {
    const { hub, a, b, result } = await collide(tempDir(), SCHEMA, 'DELETE FROM author WHERE id = 1', 'DELETE FROM author WHERE id = 1');
    expect(result.conflicts).toEqual([]);
    expect(stored(b)).toEqual([]);
    expect(rows(b.paths.db, 'author')).toEqual([]);
    await settle(hub, a, b);
  });

  it('merge-unique: the same email under two keys becomes one author, and references follow', async () => {
    const { hub, a, b } = await collide(
      tempDir(), SCHEMA,
      "INSERT INTO author VALUES (2, 'bob@x', 'Bob (a)', 1)",
      "INSERT INTO author VALUES (5, 'bob@x', 'Bob (b)', 1); INSERT INTO book VALUES (10, 5, 'Bob''s book')",
      ['merge-unique'],
    );
    expect(rows(b.paths.db, 'author').map((r) => [r.id, r.name])).toEqual([[1, 'Ann'], [2, 'Bob (a)']]);
    expect(rows(b.paths.db, 'book')).toEqual([{ id: 10, author_id: 2, title: "Bob's book" }]);
    expect(stored(b)).toEqual([expect.objectContaining({ kind: 'unique', discarded: 'local', local: { id: 5, email: 'bob@x', name: 'Bob (b)', updated_at: 1 } })]);
    await settle(hub, a, b);
  });

  it('not-found: an update of a row the hub deleted is stored by default, or resurrects it with local', async () => {
    const gone = await collide(tempDir(), SCHEMA, 'DELETE FROM author WHERE id = 1', annBy('Ann B', 300));
    expect(rows(gone.b.paths.db, 'author')).toEqual([]);
    expect(stored(gone.b)).toEqual([expect.objectContaining({ kind: 'not-found', discarded: 'local', local: { id: 1, email: 'ann@x', name: 'Ann B', updated_at: 300 }, remote: null })]);
    const back = await collide(tempDir(), SCHEMA, 'DELETE FROM author WHERE id = 1', annBy('Ann B', 300), ['local']);
    expect(rows(back.b.paths.db, 'author')).toEqual([{ id: 1, email: 'ann@x', name: 'Ann B', updated_at: 300 }]);
    await settle(back.hub, back.a, back.b);
  });

  it('foreign-key: a local book for an author the hub deleted is taken out and stored', async () => {
    const { hub, a, b } = await collide(tempDir(), SCHEMA, 'DELETE FROM author WHERE id = 1', "INSERT INTO book VALUES (10, 1, 'orphan')");
    expect(rows(b.paths.db, 'book')).toEqual([]);
    expect(stored(b)).toEqual([expect.objectContaining({ kind: 'foreign-key', table: 'book', discarded: 'local', local: { id: 10, author_id: 1, title: 'orphan' } })]);
    await settle(hub, a, b);
  });

  it('foreign-key: a local delete of an author the hub gave a book is undone', async () => {
    const { b } = await collide(tempDir(), SCHEMA, "INSERT INTO book VALUES (10, 1, 'new book')", 'DELETE FROM author WHERE id = 1');
    expect(rows(b.paths.db, 'author')).toEqual([{ id: 1, email: 'ann@x', name: 'Ann', updated_at: 100 }]);
    expect(stored(b)).toEqual([expect.objectContaining({ kind: 'foreign-key', table: 'author', discarded: 'local', local: null })]);
  });
});
