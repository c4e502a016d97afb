// Handlers composed per table and per kind, on the Chinook database: a rekeyed row takes a key
// nobody uses, and a rekeyed row that then collides on a UNIQUE value goes to the unique handler.
import { describe, it, expect } from 'vitest';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readableRow } from '../../src/repo/conflicts/exact-json.ts';
import { jsonReplacer } from '../../src/cli/output.ts';
import type { ConflictRecord } from '../../src/repo/conflicts/conflict-store.ts';
import { cloneReplica, collide, commitAll, firstReplica, newHub, pullWith, pushTo, rows, sql, tempDir } from './helpers.ts';

const CHINOOK = fileURLToPath(new URL('../../fixtures/Chinook_Sqlite.sqlite', import.meta.url));
const RULES = ['Genre.primary-key=rekey', 'Genre.unique=merge-unique'];

const genres = (from: number, to: number, prefix: string) =>
  Array.from({ length: to - from + 1 }, (_, i) => `(${from + i}, '${prefix} ${from + i}')`).join(', ');
const track = (id: number, genre: number) => `INSERT INTO Track VALUES (${id}, 'Song ${id}', 1, 1, ${genre}, NULL, 1000, 1, 0.99);`;

function readable(c: ConflictRecord) {
  const plain = (row: ConflictRecord['local']) => JSON.parse(JSON.stringify(readableRow(row), jsonReplacer)) as Record<string, unknown> | null;
  return { kind: c.kind, key: plain(c.primaryKey), resolution: c.resolution, discarded: c.discarded, local: plain(c.local), remote: plain(c.remote), result: plain(c.result) };
}

describe('composed handlers on Chinook (Genre.primary-key=rekey, Genre.unique=merge-unique)', () => {
  it('rekeys past every key in use, and merges a rekeyed row that collides on a UNIQUE name', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    copyFileSync(CHINOOK, join(dir, 'a.db'));
    const hub = await newHub(dir);
    const a = await firstReplica(dir, hub, 'CREATE UNIQUE INDEX genre_name ON Genre(Name);');
    const b = await cloneReplica(dir, hub, 'b');
    // a: GenreId 26..61, one of them Zydeco. b: 26..70 of its own, its 26 also named Zydeco.
    sql(a.paths.db, `INSERT INTO Genre VALUES ${genres(26, 61, 'A genre').replace("'A genre 30'", "'Zydeco'")};`);
    commitAll(a);
    await pushTo(a, hub);
    sql(b.paths.db, `INSERT INTO Genre VALUES (26, 'Zydeco'), ${genres(27, 70, 'B genre')}; ${track(3504, 26)} ${track(3505, 27)} ${track(3506, 62)}`);
    commitAll(b);
    const hubGenres = rows(a.paths.db, 'Genre');

    const result = await pullWith(b, hub, RULES);

    const genre = rows(b.paths.db, 'Genre') as Array<{ GenreId: number; Name: string }>;
    // The hub's rows are untouched; every row of b is there once (b's Zydeco is the hub's 30).
    for (const row of hubGenres) expect(genre).toContainEqual(row);
    const names = genre.map((g) => g.Name);
    for (let n = 27; n <= 70; n++) expect(names.filter((x) => x === `B genre ${n}`)).toHaveLength(1);
    expect(genre).toHaveLength(25 + 36 + 44);
    // b's 62..70 never collided and kept their keys; the rekeyed ones went past all of them.
    const keyOf = (name: string) => genre.find((g) => g.Name === name)!.GenreId;
    for (let n = 62; n <= 70; n++) expect(keyOf(`B genre ${n}`)).toBe(n);
    for (let n = 27; n <= 61; n++) expect(keyOf(`B genre ${n}`)).toBeGreaterThan(70);
    // b's tracks follow their genres: Zydeco's to the hub's 30, the rekeyed one's to its new key.
    const tracks = rows(b.paths.db, 'Track').filter((t) => Number(t.TrackId) > 3503).map((t) => [t.TrackId, t.GenreId]);
    expect(tracks).toEqual([[3504, 30], [3505, keyOf('B genre 27')], [3506, 62]]);

    const conflicts = result.conflicts.map(readable);
    const primary = conflicts.filter((c) => c.kind === 'primary-key');
    expect(primary).toHaveLength(36);
    for (const c of primary) {
      // The "remote" side is the hub's row at that key, never one of b's own rows.
      expect(c.remote).toEqual(hubGenres.find((g) => g.GenreId === c.key!.GenreId));
      expect(c).toMatchObject({ resolution: 'rekey', discarded: 'none' });
    }
    expect(conflicts.filter((c) => c.kind === 'unique')).toEqual([
      expect.objectContaining({ resolution: 'merge-unique', discarded: 'local', local: expect.objectContaining({ Name: 'Zydeco' }), remote: { GenreId: 30, Name: 'Zydeco' }, result: { GenreId: 30, Name: 'Zydeco' } }),
    ]);
    expect(conflicts).toHaveLength(37);
    // The key Zydeco held for a moment is handed to no other row: its record names it alone.
    const movedTo = conflicts.find((c) => c.kind === 'unique')!.key!.GenreId;
    expect(movedTo).toBeGreaterThan(70);
    expect(genre.find((g) => g.GenreId === movedTo)).toBeUndefined();

    await pushTo(b, hub);
    await pullWith(a, hub, RULES);
    for (const table of ['Genre', 'Track']) expect(rows(a.paths.db, table)).toEqual(rows(b.paths.db, table));
  });
});

const SCHEMA = `
  CREATE TABLE author(id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT, updated_at INT);
  CREATE TABLE book(id INTEGER PRIMARY KEY, author_id INT REFERENCES author(id), title TEXT);
  INSERT INTO author VALUES (1, 'ann@x', 'Ann', 1);`;

describe('a rekeyed row that collides on a UNIQUE value meets the unique rule', () => {
  // The hub: Al at 2, Bo at 3 (bo@x). b: its own Bo (bo@x) at 2, with a book. Rekeyed to 4, b's
  // Bo collides with the hub's on bo@x: what happens next is the author.unique rule's to say.
  const hubEdit = "INSERT INTO author VALUES (2, 'al@x', 'Al', 5), (3, 'bo@x', 'Bo (hub)', 5)";
  const localEdit = "INSERT INTO author VALUES (2, 'bo@x', 'Bo (b)', 9); INSERT INTO book VALUES (10, 2, 'Bo''s book')";
  const hubAuthors = [[1, 'Ann'], [2, 'Al'], [3, 'Bo (hub)']];
  const cases: Array<[string | undefined, Array<[number, string]>, Array<[number, number]>, string[]]> = [
    // no unique rule (the default), remote, and rekey (which leaves unique conflicts to the hub): b's Bo is stored,
    // its book follows to 4 where no author is, a foreign-key conflict whose default takes the book out (stored).
    [undefined, hubAuthors as Array<[number, string]>, [], ['primary-key:rekey', 'unique:take-remote', 'foreign-key:take-remote']],
    ['remote', hubAuthors as Array<[number, string]>, [], ['primary-key:rekey', 'unique:take-remote', 'foreign-key:take-remote']],
    ['rekey', hubAuthors as Array<[number, string]>, [], ['primary-key:rekey', 'unique:take-remote', 'foreign-key:take-remote']],
    // local, and newest:updated_at (9 > 5): b's Bo stays at 4, the hub's Bo is the one stored.
    ['local', [[1, 'Ann'], [2, 'Al'], [4, 'Bo (b)']], [[10, 4]], ['primary-key:rekey', 'unique:keep-local', 'unique:keep-local']],
    ['newest:updated_at', [[1, 'Ann'], [2, 'Al'], [4, 'Bo (b)']], [[10, 4]], ['primary-key:rekey', 'unique:keep-local', 'unique:keep-local']],
    // merge-unique: b's Bo is the hub's Bo; the book follows to 3.
    ['merge-unique', hubAuthors as Array<[number, string]>, [[10, 3]], ['primary-key:rekey', 'unique:merge-unique']],
  ];
  for (const [rule, authors, books, decided] of cases) {
    it(`author.unique=${rule ?? '(default)'}`, { timeout: 60_000 }, async () => {
      const rules = ['author.primary-key=rekey', ...(rule ? [`author.unique=${rule}`] : [])];
      const { hub, a, b, result } = await collide(tempDir(), SCHEMA, hubEdit, localEdit, rules);
      expect(rows(b.paths.db, 'author').map((r) => [r.id, r.name])).toEqual(authors);
      expect(rows(b.paths.db, 'book').map((r) => [r.id, r.author_id])).toEqual(books);
      expect(result.conflicts.map((c) => `${c.kind}:${c.resolution}`)).toEqual(decided);
      // The unique conflict is b's row at its new key against the hub's row holding bo@x.
      const unique = readable(result.conflicts.find((c) => c.kind === 'unique')!);
      expect(unique).toMatchObject({ key: { id: 4 }, local: { id: 4, name: 'Bo (b)' }, remote: { id: 3, name: 'Bo (hub)' } });
      await pushTo(b, hub);
      await pullWith(a, hub);
      for (const table of ['author', 'book']) expect(rows(a.paths.db, table)).toEqual(rows(b.paths.db, table));
    });
  }

  it('author.unique=abort: nothing is applied, the unique conflict is listed at the new key', async () => {
    const dir = tempDir();
    await expect(collide(dir, SCHEMA, hubEdit, localEdit, ['author.primary-key=rekey', 'author.unique=abort'])).rejects.toMatchObject({
      code: 'SYNC_CONFLICT_ABORT',
      data: { conflicts: [expect.objectContaining({ kind: 'unique', primaryKey: { id: 4n }, conflicting: expect.objectContaining({ id: 3n }) })] },
    });
    expect(rows(join(dir, 'b.db'), 'author').map((r) => r.name)).toEqual(['Ann', 'Bo (b)']);
  });
});
