// A pull over a large local commit (src/sync/rebase/large-local.ts): the hub's entries are applied
// on top of it and the rebased commit keeps its bytes, a piece at a time; where anything meets
// the local rows, the usual rebase decides. Each scenario runs twice, with pieces small enough
// that the bulk commit is large (SQLFERRY_PIECE_BYTES) and unset (the usual rebase, the whole
// commit in memory): the user sees the same rows, conflicts and log either way. After the large
// way, base.db is moved forward over the hub's entries rather than rewound over the commit
// (recover-pull.ts, moveBaseForward): a kill or a failure at any point of it leaves what the next
// command finishes and `verify` passes.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { entryPaths } from '../../src/repo/sidecar.ts';
import { verify } from '../../src/repo/verify.ts';
import { Replica } from '../../src/repo/replica.ts';
import { cliWith } from '../repo/helpers.ts';
import { BIN } from '../cli-bin.ts';
import { cloneReplica, commitAll, firstReplica, newHub, pullCutAfterCommit, pullKilledInCopy, pullWith, pullWriting, pushTo, rows, sql, tempDir } from './helpers.ts';

const SCHEMA = `CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, amount REAL, note BLOB); CREATE TABLE u(k TEXT PRIMARY KEY, n INT);
  CREATE TABLE c(id INTEGER PRIMARY KEY, parent TEXT REFERENCES u(k));
  INSERT INTO t VALUES (1, 'one', 1.5, x'01'); INSERT INTO u VALUES ('k1', 1), ('k2', 2)`;
const bulk = (rows: number) => `INSERT INTO t SELECT value, 'name ' || value, value * 0.25, zeroblob(value % 50)
  FROM (WITH RECURSIVE s(value) AS (SELECT 2 UNION ALL SELECT value + 1 FROM s WHERE value < ${rows + 1}) SELECT value FROM s)`;
const BULK = bulk(800);
const PIECE = 2048;
/** Kill moments spread over a pull's run, one per slice. */
const ROUNDS = 3;

interface Scenario {
  /** The other replica's commit, pushed first. */
  hub: string;
  /** This replica's bulk commit (with BULK), then a small commit, then edits left uncommitted. */
  bulk: string;
  small?: string;
  uncommitted?: string;
  /** Written by another program while the pull fetches: captured inside the pull's transaction. */
  whileFetched?: string;
  /** The pull stops right after its COMMIT (once base.db moved); the next command finishes it. */
  cut?: boolean;
  /** Another program reads base.db through the pull: base.db cannot be written, the next command finishes the pull. */
  baseLocked?: boolean;
  /** base.db did not take the bulk commit (a crash of that commit before base.db's COMMIT). */
  baseBehind?: boolean;
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
    const baseBeforeBulk = join(dir, 'base-before-bulk.db');
    copyFileSync(a.paths.base, baseBeforeBulk);
    sql(a.paths.db, s.bulk);
    commitAll(a, 'bulk');
    if (s.baseBehind) copyFileSync(baseBeforeBulk, a.paths.base);
    const bulkBytes = readFileSync(entryPaths(a.paths, 1).bytes);
    if (s.small !== undefined) {
      sql(a.paths.db, s.small);
      commitAll(a, 'small');
    }
    if (s.uncommitted !== undefined) sql(a.paths.db, s.uncommitted);
    let conflicts: unknown[] = [];
    if (s.cut) {
      await pullCutAfterCommit(a, hub, 2);
      a.withLock(() => undefined); // the next command finishes the pull the cut left
    } else if (s.baseLocked) {
      await pullBaseLocked(a, hub);
      a.withLock(() => undefined);
    } else if (s.whileFetched !== undefined) {
      await pullWriting(a, hub, () => sql(a.paths.db, s.whileFetched!));
    } else conflicts = (await pullWith(a, hub)).conflicts.map((c) => ({ table: c.table, primaryKey: c.primaryKey, kind: c.kind, resolution: c.resolution, result: c.result }));
    const content = { t: rows(a.paths.db, 't'), u: rows(a.paths.db, 'u'), c: rows(a.paths.db, 'c') };
    const log = a.seqs().map((seq) => ({ seq, message: a.meta(seq).message }));
    // Where the pull left base.db: at the new log's end (moved forward), or behind it (rewound, or never moved).
    const baseAt = baseSeq(a.paths.base);
    expect(verify(a).ok).toBe(true);
    // base.db catches up over the rebased commit at the next commit (and verify replays the log).
    sql(a.paths.db, "INSERT INTO u VALUES ('after', 0)");
    commitAll(a, 'after');
    expect(verify(a).ok).toBe(true);
    if (s.pushed) {
      await pushTo(a, hub);
      await pullWith(b, hub);
      expect({ t: rows(b.paths.db, 't'), u: rows(b.paths.db, 'u') }).toEqual({ t: rows(a.paths.db, 't'), u: rows(a.paths.db, 'u') });
    }
    return { content, conflicts, log, bulkBytes, baseAt, last: log.at(-1)!.seq };
  } finally {
    if (was === undefined) delete process.env.SQLFERRY_PIECE_BYTES;
    else process.env.SQLFERRY_PIECE_BYTES = was;
  }
}

function baseSeq(path: string): number {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return Number((db.prepare('SELECT seq FROM sqlferry_base').get() as { seq: number }).seq);
  } finally {
    db.close();
  }
}

/**
 * A pull while another program holds a read transaction on base.db, and sqlferry waits for no
 * lock: after the live COMMIT, neither base.db's move forward nor its rewind can commit, so the
 * pull fails there and leaves its record for the next command.
 */
async function pullBaseLocked(a: Replica, hub: string): Promise<void> {
  const reader = new DatabaseSync(a.paths.base);
  const was = process.env.SQLFERRY_BUSY_TIMEOUT_MS;
  process.env.SQLFERRY_BUSY_TIMEOUT_MS = '0';
  try {
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM sqlferry_base').get();
    await expect(pullWith(a, hub)).rejects.toThrow(/locked/);
  } finally {
    if (was === undefined) delete process.env.SQLFERRY_BUSY_TIMEOUT_MS;
    else process.env.SQLFERRY_BUSY_TIMEOUT_MS = was;
    reader.exec('COMMIT');
    reader.close();
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
  expect(usual.baseAt).toBeLessThan(usual.last); // the usual rebase leaves base.db behind the pulled entries
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
    // base.db moved forward to the rebased commit (numbered as the small commit was), not rewound.
    expect(got.last).toBe(2);
    expect(got.baseAt).toBe(2);
    // A write captured inside the pull's transaction is in the rebased commit, and in base.db.
    const captured = await both({ hub: "UPDATE u SET n = 10 WHERE k = 'k1'", bulk: BULK, whileFetched: "INSERT INTO u VALUES ('w', 1); UPDATE t SET name = 'app' WHERE id = 1" });
    expect(captured.content.u).toEqual([{ k: 'k1', n: 10 }, { k: 'k2', n: 2 }, { k: 'w', n: 1 }]);
    expect(captured.content.t[0]).toMatchObject({ id: 1, name: 'app' });
    expect(captured.baseAt).toBe(2);
  });

  it('leaves a conflict with the commit to the usual rebase, and is finished after a crash right after its COMMIT', async () => {
    const got = await both({ hub: "UPDATE t SET name = 'hub' WHERE id = 1", bulk: `${BULK}; UPDATE t SET name = 'local' WHERE id = 1`, cut: true });
    expect(got.content.t[0]).toMatchObject({ id: 1, name: 'hub' }); // the hub's change wins by default
    const settled = await both({ hub: "UPDATE t SET name = 'hub' WHERE id = 1", bulk: `${BULK}; UPDATE t SET name = 'local' WHERE id = 1` });
    expect(settled.conflicts).toHaveLength(1);
    expect(settled.baseAt).toBe(0); // the usual rebase rewound base.db
  });

  it('hands a small commit on its rows, and references left dangling, to the usual rebase', async () => {
    const got = await both({ hub: "UPDATE u SET n = 10 WHERE k = 'k1'", bulk: BULK, small: "UPDATE t SET name = 'again' WHERE id = 7" });
    expect(got.content.t[6]).toMatchObject({ id: 7, name: 'again' });
    const dangling = await both({ hub: "DELETE FROM u WHERE k = 'k2'", bulk: `${BULK}; INSERT INTO c VALUES (1, 'k2')` });
    expect(dangling.content.c).toEqual([]); // the hub's delete wins by default: the row pointing at it goes
  });

  it('moves base.db forward once the live COMMIT is done, and leaves it to the next command when stopped after', async () => {
    const hub = "UPDATE u SET n = 10 WHERE k = 'k1'; INSERT INTO t VALUES (5000, 'hub', 0.5, NULL)";
    const cut = await both({ hub, bulk: BULK, cut: true }); // stopped writing the log: base.db already forward
    expect(cut.baseAt).toBe(cut.last);
    // base.db unwritable after the live COMMIT, where the new log's end has the old one's number (2):
    // the next command finds base.db unmoved and rewinds it.
    const locked = await both({ hub, bulk: BULK, small: "UPDATE u SET n = 20 WHERE k = 'k2'", baseLocked: true });
    expect(locked.content.u).toEqual([{ k: 'k1', n: 10 }, { k: 'k2', n: 20 }]);
    expect(locked.baseAt).toBe(0);
    // base.db not at the local commits' end: never moved from there. The pull may first bring it
    // to the log's end (prepareCapture, unless the live file stats as its fingerprint recorded),
    // then move it; verify, after the pull and after the next commit (run), tells a wrong move.
    const behind = await both({ hub, bulk: BULK, baseBehind: true });
    expect(behind.content.t).toHaveLength(802);
    expect([0, behind.last]).toContain(behind.baseAt);
  });

  it('leaves the database as it was or as it will be when killed at any moment, and the next command finishes it', async () => {
    const dir = tempDir('sqlferry-large-rebase-');
    const hub = await newHub(dir);
    const a = await firstReplica(dir, hub, SCHEMA);
    const b = await cloneReplica(dir, hub, 'b');
    sql(b.paths.db, "UPDATE u SET n = 10 WHERE k = 'k1'; INSERT INTO t VALUES (5000, 'hub', 0.5, NULL)");
    commitAll(b, 'hub');
    await pushTo(b, hub);
    sql(a.paths.db, bulk(3000));
    commitAll(a, 'bulk');
    sql(a.paths.db, "UPDATE u SET n = 20 WHERE k = 'k2'");
    commitAll(a, 'small');
    const env = { ...process.env, SQLFERRY_PIECE_BYTES: String(PIECE) };
    const content = (db: string) => JSON.stringify([rows(db, 't'), rows(db, 'u')]);
    const before = content(a.paths.db);
    const ref = tempDir('sqlferry-large-rebase-ref-');
    cpSync(dir, ref, { recursive: true });
    const started = Date.now();
    expect(spawnSync(process.execPath, [BIN, '--db', join(ref, 'a.db'), 'pull'], { env, stdio: 'ignore' }).status).toBe(0);
    const took = Date.now() - started;
    const after = content(join(ref, 'a.db'));
    expect(baseSeq(Replica.open(join(ref, 'a.db')).paths.base)).toBe(2); // the large way, base.db moved forward
    for (let round = 0; round < ROUNDS; round++) {
      const db = await pullKilledInCopy(dir, 'a.db', round, ROUNDS, took, env);
      const now = content(db);
      expect([before, after]).toContain(now);
      // The next command finishes or discards the pull: commit must not take the hub's rows for local changes.
      expect(spawnSync(process.execPath, [BIN, '--db', db, 'commit'], { env, encoding: 'utf8' }).stdout).toContain('Nothing to commit');
      expect(content(db)).toBe(now);
      spawnSync(process.execPath, [BIN, '--db', db, 'pull'], { env, stdio: 'ignore' });
      expect(content(db)).toBe(after);
      const replica = Replica.open(db);
      expect(verify(replica)).toMatchObject({ ok: true });
      expect(replica.seqs()).toEqual([1, 2]);
    }
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
