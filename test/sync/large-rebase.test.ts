// A pull over a large local commit (src/sync/rebase/large-local.ts): the hub's entries are applied
// on top of it and the rebased commit keeps its bytes, a piece at a time; where anything meets
// the local rows, the usual rebase decides. Each scenario runs twice, with pieces small enough
// that the bulk commit is large (SQLFERRY_PIECE_BYTES) and unset (the usual rebase, the whole
// commit in memory): the user sees the same rows, conflicts and log either way.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { entryPaths } from '../../src/repo/sidecar.ts';
import { verify } from '../../src/repo/verify.ts';
import { Replica } from '../../src/repo/replica.ts';
import { cliWith } from '../repo/helpers.ts';
import { cloneReplica, commitAll, firstReplica, newHub, pullCutAfterCommit, pullWith, pushTo, rows, sql, tempDir } from './helpers.ts';

const SCHEMA = `CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, amount REAL, note BLOB); CREATE TABLE u(k TEXT PRIMARY KEY, n INT);
  CREATE TABLE c(id INTEGER PRIMARY KEY, parent TEXT REFERENCES u(k));
  INSERT INTO t VALUES (1, 'one', 1.5, x'01'); INSERT INTO u VALUES ('k1', 1), ('k2', 2)`;
const bulk = (rows: number) => `INSERT INTO t SELECT value, 'name ' || value, value * 0.25, zeroblob(value % 50)
  FROM (WITH RECURSIVE s(value) AS (SELECT 2 UNION ALL SELECT value + 1 FROM s WHERE value < ${rows + 1}) SELECT value FROM s)`;
const BULK = bulk(800);
const PIECE = 2048;

interface Scenario {
  /** The other replica's commit, pushed first. */
  hub: string;
  /** This replica's bulk commit (with BULK), then a small commit, then edits left uncommitted. */
  bulk: string;
  small?: string;
  uncommitted?: string;
  /** The pull stops right after its COMMIT; the next command finishes it. */
  cut?: boolean;
  /** The replica pushes after, and the other one pulls its rows. */
  pushed?: boolean;
}

async function run(s: Scenario, pieceBytes: number | undefined) {
  const was = process.env.SQLFERRY_PIECE_BYTES;
  if (pieceBytes === undefined) delete process.env.SQLFERRY_PIECE_BYTES;
  else process.env.SQLFERRY_PIECE_BYTES = String(pieceBytes);
  try {
    const dir = tempDir('sqlferry-large-rebase-');
    const hub = await newHub(dir);
    const a = await firstReplica(dir, hub, SCHEMA);
    const b = await cloneReplica(dir, hub, 'b');
    sql(b.paths.db, s.hub);
    commitAll(b, 'hub');
    await pushTo(b, hub);
    sql(a.paths.db, s.bulk);
    commitAll(a, 'bulk');
    const bulkBytes = readFileSync(entryPaths(a.paths, 1).bytes);
    if (s.small !== undefined) {
      sql(a.paths.db, s.small);
      commitAll(a, 'small');
    }
    if (s.uncommitted !== undefined) sql(a.paths.db, s.uncommitted);
    let conflicts: unknown[] = [];
    if (s.cut) {
      await pullCutAfterCommit(a, hub, 2);
      Replica.find(a.paths.db); // finishes the pull the cut left
    } else conflicts = (await pullWith(a, hub)).conflicts.map((c) => ({ table: c.table, primaryKey: c.primaryKey, kind: c.kind, resolution: c.resolution, result: c.result }));
    const content = { t: rows(a.paths.db, 't'), u: rows(a.paths.db, 'u'), c: rows(a.paths.db, 'c') };
    const log = a.seqs().map((seq) => ({ seq, message: a.meta(seq).message }));
    // base.db catches up over the rebased commit at the next commit (and verify replays the log).
    sql(a.paths.db, "INSERT INTO u VALUES ('after', 0)");
    commitAll(a, 'after');
    expect(verify(a).ok).toBe(true);
    if (s.pushed) {
      await pushTo(a, hub);
      await pullWith(b, hub);
      expect({ t: rows(b.paths.db, 't'), u: rows(b.paths.db, 'u') }).toEqual({ t: rows(a.paths.db, 't'), u: rows(a.paths.db, 'u') });
    }
    return { content, conflicts, log, bulkBytes };
  } finally {
    if (was === undefined) delete process.env.SQLFERRY_PIECE_BYTES;
    else process.env.SQLFERRY_PIECE_BYTES = was;
  }
}

/** The scenario with a large bulk commit and with the usual rebase: the same outcome. */
async function both(s: Scenario) {
  const large = await run(s, PIECE);
  const usual = await run(s, undefined);
  expect(large.bulkBytes.length).toBeGreaterThan(8 * PIECE); // large with small pieces, one piece unset
  expect(large.bulkBytes.length).toBeLessThan(8 << 20);
  expect(large.content).toEqual(usual.content);
  expect(large.conflicts).toEqual(usual.conflicts);
  expect(large.log).toEqual(usual.log);
  return large;
}

describe('a pull over a large local commit', () => {
  it('applies the hub on top where their changes meet no local row or column, beside small commits and edits', async () => {
    const got = await both({
      hub: "UPDATE u SET n = 10 WHERE k = 'k1'; INSERT INTO t VALUES (5000, 'hub', 0.5, NULL); UPDATE t SET amount = 9.5 WHERE id = 1",
      bulk: `${BULK}; UPDATE t SET name = 'local' WHERE id = 1`, small: "UPDATE u SET n = 20 WHERE k = 'k2'", uncommitted: "INSERT INTO u VALUES ('w', 1)", pushed: true,
    });
    expect(got.content.u).toEqual([{ k: 'k1', n: 10 }, { k: 'k2', n: 20 }, { k: 'w', n: 1 }]);
    expect(got.content.t).toHaveLength(802);
    expect(got.content.t[0]).toMatchObject({ id: 1, name: 'local', amount: 9.5 });
  });

  it('leaves a conflict with the commit to the usual rebase, and is finished after a crash right after its COMMIT', async () => {
    const got = await both({ hub: "UPDATE t SET name = 'hub' WHERE id = 1", bulk: `${BULK}; UPDATE t SET name = 'local' WHERE id = 1`, cut: true });
    expect(got.content.t[0]).toMatchObject({ id: 1, name: 'hub' }); // the hub's change wins by default
    const settled = await both({ hub: "UPDATE t SET name = 'hub' WHERE id = 1", bulk: `${BULK}; UPDATE t SET name = 'local' WHERE id = 1` });
    expect(settled.conflicts).toHaveLength(1);
  });

  it('hands a small commit on its rows, and references left dangling, to the usual rebase', async () => {
    const got = await both({ hub: "UPDATE u SET n = 10 WHERE k = 'k1'", bulk: BULK, small: "UPDATE t SET name = 'again' WHERE id = 7" });
    expect(got.content.t[6]).toMatchObject({ id: 7, name: 'again' });
    const dangling = await both({ hub: "DELETE FROM u WHERE k = 'k2'", bulk: `${BULK}; INSERT INTO c VALUES (1, 'k2')` });
    expect(dangling.content.c).toEqual([]); // the hub's delete wins by default: the row pointing at it goes
  });

  it('runs in a small heap: the commit is never held whole', async () => {
    // 60,000 rows make a 3.3 MB commit, large with pieces of 128 KiB; the usual rebase needs some 40 MB of heap for it.
    const dir = tempDir('sqlferry-large-rebase-');
    const hub = await newHub(dir);
    const a = await firstReplica(dir, hub, SCHEMA);
    const b = await cloneReplica(dir, hub, 'b');
    sql(b.paths.db, "UPDATE u SET n = 10 WHERE k = 'k1'");
    commitAll(b, 'hub');
    await pushTo(b, hub);
    sql(a.paths.db, bulk(60_000));
    commitAll(a, 'bulk');
    const pulled = cliWith({ NODE_OPTIONS: '--max-old-space-size=16', SQLFERRY_PIECE_BYTES: String(128 << 10) }, dir, '--db', a.paths.db, 'pull');
    expect(pulled.stderr).toBe('');
    expect(pulled.stdout).toContain('local changes rebased as commit 2');
    expect(rows(a.paths.db, 'u')).toEqual([{ k: 'k1', n: 10 }, { k: 'k2', n: 2 }]);
    expect(rows(a.paths.db, 't')).toHaveLength(60_001);
  });
});
