// show, log --stat, export and revert read a log entry a piece at a time (src/repo/log/entry-changes.ts):
// with pieces made small (SQLFERRY_PIECE_BYTES), a few thousand rows make an entry of ~100 pieces,
// above streamedAbove(). Reading such an entry whole (readEntry) fails here, so each command is
// seen to take the streamed path; its output must be what the whole-entry code printed.
import { describe, it, expect, vi } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProgram } from '../../src/cli/program.ts';
import { commands } from '../../src/cli/commands/index.ts';
import { jsonReplacer } from '../../src/cli/output.ts';
import { changesetStats, changesetToPatchset, concatChangesets, invertChangeset, iterateChanges, renderJson, renderSql } from '../../src/changeset/index.ts';
import { SqlferryError } from '../../src/errors/index.ts';
import { revert } from '../../src/repo/apply/revert.ts';
import { commit } from '../../src/repo/capture/commit.ts';
import { shownMeta } from '../../src/repo/log/log.ts';
import { columnNamesIn } from '../../src/repo/capture/diff.ts';
import { exportEntries } from '../../src/repo/log/export-entries.ts';
import { Replica } from '../../src/repo/replica.ts';
import { entryPaths } from '../../src/repo/sidecar.ts';
import { verify } from '../../src/repo/verify.ts';
import { streamedAbove } from '../../src/shared/pieces.ts';
import { dumpTables, sqlite3, tempDir, usePieceBytes } from './helpers.ts';

vi.mock(import('../../src/repo/log/log.ts'), async (original) => {
  const log = await original();
  return {
    ...log,
    readEntry: (...args: Parameters<typeof log.readEntry>) => {
      const entry = log.readEntry(...args);
      if (entry.bytes.byteLength > streamedAbove()) throw new Error(`entry ${entry.meta.seq} was read whole`);
      return entry;
    },
  };
});

const PIECE = 4096;
usePieceBytes(PIECE);

const series = (n: number) => `(WITH RECURSIVE s(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM s WHERE value < ${n}) SELECT value FROM s)`;

/**
 * Entry 1 changes 9,000 rows of t (the capture writes them in batches: t's header more than once) and
 * rows of a WITHOUT ROWID table keyed (b, a), with text, blobs, REAL and NULL; entry 2 is small.
 */
function replicaWithLargeEntry(): { replica: Replica; db: string; before: Record<string, string[]> } {
  const db = join(tempDir(), 'large.db');
  sqlite3(db, `CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, amount REAL);
    CREATE TABLE u(a TEXT, b INTEGER, c BLOB, PRIMARY KEY(b, a)) WITHOUT ROWID;
    INSERT INTO t SELECT value, 'name ' || value, value * 0.25 FROM ${series(400)};
    INSERT INTO u SELECT 'k' || value, value % 7, randomblob(8) FROM ${series(200)};`);
  const replica = Replica.init(db);
  const before = dumpTables(db);
  sqlite3(db, `INSERT INTO t SELECT value + 400, printf('new %040d', value), NULL FROM ${series(9000)};
    UPDATE t SET amount = -amount, name = name || char(10) || 'x' WHERE id % 3 = 0 AND id <= 400;
    DELETE FROM t WHERE id % 7 = 0 AND id <= 400;
    UPDATE u SET c = x'00ff' WHERE b = 3; DELETE FROM u WHERE b = 5; INSERT INTO u VALUES ('é', 9, NULL);`);
  commit(replica, { message: 'bulk' });
  sqlite3(db, "UPDATE t SET name = 'small' WHERE id = 1");
  commit(replica, { message: 'small' });
  return { replica, db, before };
}

/** Where two long texts first differ, with some context (undefined when equal): a diff of megabytes would take minutes. */
function firstDifference(actual: string, expected: string): string | undefined {
  if (actual === expected) return undefined;
  let at = 0;
  while (actual[at] === expected[at]) at++;
  return `at ${at} of ${actual.length} (expected ${expected.length}): ${JSON.stringify(actual.slice(at - 40, at + 40))} vs ${JSON.stringify(expected.slice(at - 40, at + 40))}`;
}

/** Where two byte strings first differ (undefined when equal), for the same reason. */
function firstByteDifference(actual: Uint8Array, expected: Uint8Array): string | undefined {
  if (Buffer.from(actual).equals(Buffer.from(expected))) return undefined;
  let at = 0;
  while (actual[at] === expected[at]) at++;
  return `byte ${at} of ${actual.length} (expected ${expected.length})`;
}

const entryBytes = (replica: Replica, seq: number) => new Uint8Array(readFileSync(entryPaths(replica.paths, seq).bytes));

/** `sqlferry ARGS` run in this process: what it prints on stdout. */
async function sqlferry(...args: string[]): Promise<string> {
  const program = await buildProgram(commands);
  const printed: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  try {
    await program.parseAsync(['node', 'sqlferry', ...args]);
  } finally {
    write.mockRestore();
  }
  return printed.join('');
}

describe('a large entry read a piece at a time', () => {
  it('is larger than streamedAbove(), and names t in more than one batch', () => {
    const { replica } = replicaWithLargeEntry();
    const bytes = entryBytes(replica, 1);
    expect(bytes.byteLength).toBeGreaterThan(streamedAbove());
    expect(() => replica.entry(1)).toThrow(/read whole/);
    const headers = [...iterateChanges(bytes)].map((c) => c.table).filter((t, i, all) => i === 0 || t !== all[i - 1]);
    expect(headers.map((t) => t.name).filter((name) => name === 't').length).toBeGreaterThan(1);
  });

  it('show --json, --sql, the default and --stat print what the whole entry printed', async () => {
    const { replica, db } = replicaWithLargeEntry();
    const bytes = entryBytes(replica, 1);
    const meta = replica.meta(1);
    const json = await sqlferry('--db', db, 'show', '1', '--json');
    expect(firstDifference(json, JSON.stringify({ entry: meta, changes: [...iterateChanges(bytes)].map(renderJson) }, jsonReplacer, 2) + '\n')).toBeUndefined();
    expect(JSON.parse(json).changes).toHaveLength(9229);
    const sql = [...renderSql(iterateChanges(bytes), columnNamesIn(db))].map((line) => line + '\n').join('');
    expect(firstDifference(await sqlferry('--db', db, 'show', '1', '--sql'), sql)).toBeUndefined();
    const header = `commit 1  ${meta.time}  replica ${meta.replicaId}\nsha256 ${meta.sha256}  ${meta.size} bytes\n    bulk\n\n`;
    expect(firstDifference(await sqlferry('--db', db, 'show', '1'), header + sql)).toBeUndefined();
    const stats = changesetStats(bytes);
    expect(stats.tables.map((t) => [t.table, t.inserts, t.updates, t.deletes])).toEqual([['t', 9000, 114, 57], ['u', 1, 29, 28]]);
    expect(await sqlferry('--db', db, 'show', '1', '--stat')).toBe(
      't  9000 inserted, 114 updated, 57 deleted\nu     1 inserted,  29 updated, 28 deleted\n9229 change(s) in 2 table(s)\n',
    );
  });

  it('show --json of an empty list is still one document', async () => {
    const db = join(tempDir(), 'empty.db');
    sqlite3(db, 'CREATE TABLE t(id INTEGER PRIMARY KEY)');
    const replica = Replica.init(db);
    sqlite3(db, 'CREATE TABLE v(id INTEGER PRIMARY KEY)');
    commit(replica, { message: 'schema only' });
    expect(await sqlferry('--db', db, 'show', '1', '--json')).toBe(JSON.stringify({ entry: shownMeta(replica.meta(1)), changes: [] }, null, 2) + '\n');
  });

  it('log --stat counts the rows of each entry', async () => {
    const { db } = replicaWithLargeEntry();
    const printed = await sqlferry('--db', db, 'log', '--stat', '--json');
    expect(JSON.parse(printed).map((e: { changes: unknown }) => e.changes)).toEqual([
      { inserts: 0, updates: 1, deletes: 0, total: 1 },
      { inserts: 9001, updates: 143, deletes: 85, total: 9229 },
    ]);
  });

  it('export N writes the entry, or its patchset, byte for byte', async () => {
    const { replica, db } = replicaWithLargeEntry();
    const bytes = entryBytes(replica, 1);
    const dir = tempDir();
    await sqlferry('--db', db, '-q', 'export', '1', '-o', join(dir, 'c'));
    expect(firstByteDifference(readFileSync(join(dir, 'c')), bytes)).toBeUndefined();
    await sqlferry('--db', db, '-q', 'export', '1', '--patchset', '-o', join(dir, 'p'));
    expect(firstByteDifference(readFileSync(join(dir, 'p')), changesetToPatchset(bytes))).toBeUndefined();
  });

  it('export N..M squashes a small range in memory, and refuses one too large to hold', () => {
    const { replica, db } = replicaWithLargeEntry();
    sqlite3(db, "UPDATE t SET name = 'again' WHERE id = 1; UPDATE t SET name = 'other' WHERE id = 2");
    commit(replica, { message: 'small too' });
    const small = exportEntries(replica, 2, 3, 'changeset');
    expect(Buffer.concat([...small.chunks])).toEqual(Buffer.from(concatChangesets([entryBytes(replica, 2), entryBytes(replica, 3)])));
    expect(() => exportEntries(replica, 1, 3, 'changeset')).toThrow(expect.objectContaining({ code: 'EXPORT_TOO_LARGE', message: expect.stringMatching(/^commits 1\.\.3 hold \d+ bytes together, more than export squashes in memory \(262144\); nothing was written$/) }));
  });
});

describe('a damaged large entry', () => {
  it('is reported as damaged by show --stat, log --stat, export and revert, nothing written', async () => {
    const { replica, db } = replicaWithLargeEntry();
    const file = entryPaths(replica.paths, 1).bytes;
    const bytes = readFileSync(file);
    bytes[bytes.length - 100]! ^= 0x01; // in a value of the last piece: every record still reads
    writeFileSync(file, bytes);
    const damaged = { code: 'LOG_CORRUPT', message: 'log entry 1 does not match its checksum' };
    await expect(sqlferry('--db', db, 'show', '1', '--stat')).rejects.toMatchObject(damaged);
    await expect(sqlferry('--db', db, 'show', '1', '--json')).rejects.toMatchObject(damaged);
    expect(JSON.parse(await sqlferry('--db', db, 'log', '--stat', '--json'))[1].changes).toEqual({ error: damaged.message });
    const out = join(tempDir(), 'out.changeset');
    await expect(sqlferry('--db', db, 'export', '1', '-o', out)).rejects.toMatchObject(damaged);
    expect(existsSync(out)).toBe(false);
    expect(() => revert(replica, 1)).toThrow(expect.objectContaining(damaged));
    expect(replica.lastSeq()).toBe(2);
    process.exitCode = undefined; // log set it for the damaged entry
  });
});

describe('revert of a large entry', () => {
  it('restores the rows exactly and logs the inverse the whole entry gave', () => {
    const { replica, db, before } = replicaWithLargeEntry();
    sqlite3(db, "UPDATE t SET name = 'name 1' WHERE id = 1");
    commit(replica, { message: 'undo small' });
    const meta = revert(replica, 1);
    expect(meta).toMatchObject({ seq: 4, message: 'Revert commit 1: bulk' });
    expect(firstByteDifference(entryBytes(replica, 4), invertChangeset(entryBytes(replica, 1)))).toBeUndefined();
    expect(dumpTables(db)).toEqual(before);
    expect(verify(replica)).toMatchObject({ ok: true, problems: [] });
    expect(commit(replica)).toBeNull(); // the base took the inverse too
    expect(readdirSync(replica.paths.log).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses when a later commit changed a row of its last piece, changing nothing', () => {
    const { replica, db } = replicaWithLargeEntry();
    sqlite3(db, "UPDATE u SET c = x'01' WHERE a = 'é'"); // the entry's last table, far past its first piece
    commit(replica, { message: 'later' });
    const dump = dumpTables(db);
    const base = statSync(replica.paths.base).mtimeMs;
    const err = (() => {
      try {
        revert(replica, 1);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(SqlferryError);
    expect(err).toMatchObject({ code: 'REVERT_CONFLICT', message: 'cannot revert commit 1: rows it changed were changed again later; nothing was changed' });
    expect(dumpTables(db)).toEqual(dump);
    expect(replica.lastSeq()).toBe(3);
    expect(existsSync(entryPaths(replica.paths, 4).bytes)).toBe(false);
    expect(readdirSync(replica.paths.log).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(statSync(replica.paths.base).mtimeMs).toBe(base);
    expect(verify(replica)).toMatchObject({ ok: true });
  });

  it('refuses when an uncommitted edit changed one of its rows', () => {
    const { replica, db } = replicaWithLargeEntry();
    sqlite3(db, 'DELETE FROM t WHERE id = 9400');
    const dump = dumpTables(db);
    expect(() => revert(replica, 1)).toThrow(expect.objectContaining({ code: 'REVERT_CONFLICT', message: expect.stringContaining('changed again since the last commit') }));
    expect(dumpTables(db)).toEqual(dump);
    expect(replica.lastSeq()).toBe(2);
    expect(verify(replica)).toMatchObject({ ok: true });
  });
});
