// `verify` of a log holding large entries (src/shared/pieces.ts: above 8 pieces) reads them a
// piece at a time, as push and pull do: an entry too large for one Buffer (2 GiB) must not be
// reported damaged, and a damaged one must still be found. The piece size is made small
// (SQLFERRY_PIECE_BYTES) so that an entry of some tens of KiB counts as large.
import { describe, it, expect } from 'vitest';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Replica } from '../../src/repo/replica.ts';
import { commit } from '../../src/repo/capture/commit.ts';
import { entryPaths } from '../../src/repo/sidecar.ts';
import { verify } from '../../src/repo/verify.ts';
import { sqlite3, tempDir, usePieceBytes } from './helpers.ts';

const PIECE = 2048;
usePieceBytes(PIECE);

const series = (n: number) => `(WITH RECURSIVE s(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM s WHERE value < ${n}) SELECT value FROM s)`;

/** A replica whose log holds two large entries (inserts, then updates and deletes of them) and a small one. */
function replicaWithLargeEntries(): Replica {
  const path = join(tempDir(), 'large.db');
  sqlite3(path, 'CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, amount REAL)');
  const replica = Replica.init(path);
  sqlite3(path, `INSERT INTO t SELECT value, 'name ' || value, value * 0.25 FROM ${series(3000)}`);
  commit(replica, { message: 'inserts' });
  sqlite3(path, 'UPDATE t SET amount = -amount WHERE id % 3 = 0; DELETE FROM t WHERE id % 7 = 0');
  commit(replica, { message: 'updates and deletes' });
  sqlite3(path, "UPDATE t SET name = 'one' WHERE id = 1");
  commit(replica, { message: 'one row' });
  return replica;
}

describe('verify with large entries', () => {
  it('passes a sound replica, reading its large entries a piece at a time', () => {
    const replica = replicaWithLargeEntries();
    for (const seq of [1, 2]) expect(statSync(entryPaths(replica.paths, seq).bytes).size).toBeGreaterThan(8 * PIECE);
    expect(verify(replica)).toMatchObject({ ok: true, entries: 3, problems: [] });
  });

  it('finds a byte changed in the middle of a large entry', () => {
    const replica = replicaWithLargeEntries();
    const file = entryPaths(replica.paths, 2).bytes;
    const bytes = readFileSync(file);
    bytes[bytes.length >> 1]! ^= 0x01;
    writeFileSync(file, bytes);
    const report = verify(replica);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual(['log entry 2 does not match its checksum']);
  });
});
