// `sqlferry log`: metadata only by default; --stat counts rows, and a damaged entry is
// reported in its place instead of ending the listing.
import { describe, it, expect } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chinookCopy, cli, sqlite3, tempDir } from './helpers.ts';

describe('sqlferry log', () => {
  it('lists every commit, and with --stat counts rows, naming a damaged entry in its place', () => {
    const dir = tempDir();
    const db = chinookCopy(dir);
    cli(dir, 'init', 'chinook.db');
    sqlite3(db, "UPDATE Track SET UnitPrice = 2 WHERE TrackId <= 3;");
    cli(dir, 'commit', '-m', 'prices');
    sqlite3(db, "INSERT INTO Genre VALUES (41, 'x'); DELETE FROM PlaylistTrack WHERE TrackId = 2;");
    cli(dir, 'commit', '-m', 'genre');

    const stat = JSON.parse(cli(dir, 'log', '--stat', '--json').stdout);
    expect(Object.keys(stat[0]).sort()).toEqual(['changes', 'kind', 'message', 'onHub', 'parent', 'replicaId', 'schema', 'seq', 'sha256', 'size', 'time']); // not push's digestChange
    expect(stat.map((e: { seq: number; changes: unknown }) => [e.seq, e.changes])).toEqual([
      [2, { inserts: 1, updates: 0, deletes: 3, total: 4 }],
      [1, { inserts: 0, updates: 3, deletes: 0, total: 3 }],
    ]);

    const file = join(dir, 'chinook.db.sqlferry', 'log', '0000000001.changeset');
    const bytes = readFileSync(file);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
    writeFileSync(file, bytes);
    const plain = cli(dir, 'log');
    expect(plain.status).toBe(0);
    expect(plain.stdout).toMatch(/commit 2 \(not pushed\).*\n {4}genre\n {4}\d+ bytes\n\ncommit 1 /);
    const damaged = cli(dir, 'log', '--stat');
    expect(damaged.status).toBe(6);
    expect(damaged.stdout).toContain('    1 inserted, 0 updated, 3 deleted\n');
    expect(damaged.stdout).toMatch(/commit 1 .*\n {4}prices\n {4}cannot be read: .*checksum/);
  });

  it('-n N shows only the newest N commits, and refuses a count it cannot use', () => {
    const dir = tempDir();
    const db = chinookCopy(dir);
    cli(dir, 'init', 'chinook.db');
    for (const price of [2, 3, 4]) {
      sqlite3(db, `UPDATE Track SET UnitPrice = ${price} WHERE TrackId = 1;`);
      cli(dir, 'commit', '-m', `price ${price}`);
    }
    const seqsOf = (...args: string[]) => JSON.parse(cli(dir, 'log', '--json', ...args).stdout).map((e: { seq: number }) => e.seq);
    expect(seqsOf('-n', '2')).toEqual([3, 2]);
    expect(seqsOf('--max-count', '9')).toEqual([3, 2, 1]);
    expect(seqsOf()).toEqual([3, 2, 1]);
    const bad = cli(dir, 'log', '-n', '0');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^error: -n must be a whole number of at least 1, not "0"\n/);
  });
});
