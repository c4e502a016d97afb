// Handlers composed per table and per kind, on the Chinook database: a rekeyed row takes a key
// nobody uses, and a rekeyed row that then collides on a UNIQUE value goes to the unique handler.
import { describe, it, expect } from 'vitest';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readableRow } from '../../src/repo/exact-json.ts';
import { jsonReplacer } from '../../src/cli/output.ts';
import type { ConflictRecord } from '../../src/repo/conflict-store.ts';
import { cloneReplica, commitAll, firstReplica, newHub, pullWith, pushTo, rows, sql, tempDir } from './helpers.ts';

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
