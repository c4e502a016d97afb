// Later hub snapshots: once the log since the last snapshot outweighs the database twice, a push
// leaves a snapshot of the hub's state, and new clones start from it instead of replaying all.
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { verify } from '../../src/repo/verify.ts';
import { checkout } from '../../src/repo/base/checkout.ts';
import { writeState } from '../../src/repo/config.ts';
import { cloneReplica, commitAll, firstReplica, newHub, pullWith, pushTo, rows, sql, tempDir, withRemote } from './helpers.ts';

const SCHEMA = 'CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);';
const snapshotsOf = (hub: string) => readdirSync(join(hub, 'snapshots')).filter((f) => f.endsWith('.json')).sort();

/** The database's bytes as SQLite counts its pages. */
function pageBytes(path: string): number {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return Number((db.prepare('SELECT page_count * page_size AS n FROM pragma_page_count(), pragma_page_size()').get() as { n: number | bigint }).n);
  } finally {
    db.close();
  }
}

describe('hub snapshots for fast clones', () => {
  it('are left by a push once the log outweighs the database, and a clone starts from the latest', async () => {
    const dir = tempDir();
    const hub = await newHub(dir);
    const a = await firstReplica(dir, hub, SCHEMA);
    expect(snapshotsOf(hub)).toHaveLength(1); // the genesis

    // Small pushes: the log stays lighter than the database, so no snapshot yet.
    sql(a.paths.db, "INSERT INTO t VALUES (1, 'one')");
    commitAll(a);
    expect((await pushTo(a, hub)).snapshot).toEqual({ skipped: 'not-due' });

    // Rewriting every row many times makes the log more than twice as heavy as the database.
    for (let round = 0; round < 6; round++) {
      sql(a.paths.db, `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 500)
        INSERT OR REPLACE INTO t SELECT i, printf('round %d row %d %.200c', ${round}, i, 'x') FROM s`);
      commitAll(a);
    }
    const pushed = await pushTo(a, hub);
    expect(pushed.snapshot).toEqual({ uploaded: pushed.head });
    expect(snapshotsOf(hub)).toHaveLength(2);

    const b = await cloneReplica(dir, hub, 'b');
    expect(b.seqs()).toEqual([]); // nothing replayed: the snapshot is the hub's state at head
    expect(b.state().hubSeq).toBe(pushed.head);
    expect(rows(b.paths.db, 't')).toEqual(rows(a.paths.db, 't'));
    expect(rows(b.paths.db, 'sqlite_schema').map((r) => r.name)).toEqual(rows(a.paths.db, 'sqlite_schema').map((r) => r.name));
    expect(verify(b)).toMatchObject({ ok: true });

    // The clone works on like any replica: its change reaches a, and a's reaches it.
    sql(b.paths.db, "UPDATE t SET v = 'from b' WHERE id = 2");
    commitAll(b);
    await pushTo(b, hub);
    sql(a.paths.db, "UPDATE t SET v = 'from a' WHERE id = 3");
    commitAll(a);
    await pullWith(a, hub);
    await pushTo(a, hub);
    await pullWith(b, hub);
    expect(rows(b.paths.db, 't')).toEqual(rows(a.paths.db, 't'));
    expect(rows(a.paths.db, 't').find((r) => r.id === 2n || r.id === 2)?.v).toBe('from b');
    expect(verify(a)).toMatchObject({ ok: true });
    expect(verify(b)).toMatchObject({ ok: true });
  });

  it('are left once the log since the latest outweighs the database twice, not once', async () => {
    const dir = tempDir();
    const hub = await newHub(dir);
    const a = await firstReplica(dir, hub, SCHEMA);
    sql(a.paths.db, `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 400)
      INSERT INTO t SELECT i, printf('row %d %.200c', i, 'x') FROM s`);
    commitAll(a);
    await pushTo(a, hub);
    const outcomes: Array<{ times: number; snapshot: unknown }> = [];
    // Each round rewrites a third of the rows: the log grows by well under a database per push.
    for (let round = 0; round < 12; round++) {
      sql(a.paths.db, `UPDATE t SET v = printf('round %d row %d %.200c', ${round}, id, 'y') WHERE id % 3 = ${round % 3}`);
      commitAll(a);
      const since = (await withRemote(hub, (r) => r.latestSnapshot()))!.seq;
      const pushed = await pushTo(a, hub);
      const log = (await withRemote(hub, (r) => r.list(since))).reduce((n, e) => n + e.size, 0);
      const times = log / pageBytes(a.paths.base);
      outcomes.push({ times, snapshot: pushed.snapshot });
      expect(pushed.snapshot, `round ${round}: log ${times.toFixed(2)}× the database`).toEqual(times > 2 ? { uploaded: pushed.head } : { skipped: 'not-due' });
    }
    // The rounds crossed both bounds: a log between one and two databases left no snapshot, a heavier one did.
    expect(outcomes.some((o) => o.times > 1 && o.times <= 2)).toBe(true);
    expect(outcomes.filter((o) => 'uploaded' in (o.snapshot as object)).length).toBeGreaterThanOrEqual(2);
  });

  it('keep the log of a clone starting at its snapshot through pulls, also when state.json lost that start', async () => {
    const dir = tempDir();
    const hub = await newHub(dir);
    const a = await firstReplica(dir, hub, SCHEMA);
    for (let round = 0; round < 6; round++) {
      sql(a.paths.db, `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 300)
        INSERT OR REPLACE INTO t SELECT i, printf('round %d row %d %.200c', ${round}, i, 'x') FROM s`);
      commitAll(a);
    }
    const at = (await pushTo(a, hub)).head; // 6, with a snapshot there
    const b = await cloneReplica(dir, hub, 'b');
    for (let i = 1; i <= 3; i++) {
      sql(a.paths.db, `INSERT INTO t VALUES (${1000 + i}, 'later ${i}')`);
      commitAll(a);
      await pushTo(a, hub);
    }
    await pullWith(b, hub);
    expect(b.seqs()).toEqual([at + 1, at + 2, at + 3]);
    expect(b.state().genesisSeq).toBe(at);
    expect(() => checkout(b, at + 9, join(dir, 'later.db'))).toThrowError(`there is no commit ${at + 9} (the log goes from ${at} to ${at + 3})`);

    // A pull of an earlier sqlferry wrote state.json without genesisSeq: the log's end is still found.
    const { genesisSeq: _dropped, ...older } = b.state();
    writeState(b.paths.state, older);
    expect(b.lastSeq()).toBe(at + 3);
    sql(b.paths.db, "UPDATE t SET v = 'from b' WHERE id = 1001");
    commitAll(b);
    expect(b.seqs()).toEqual([at + 1, at + 2, at + 3, at + 4]);
    expect((await pushTo(b, hub)).head).toBe(at + 4);
    expect(verify(b)).toMatchObject({ ok: true });
  });

  it('are never taken from beyond the head: a clone ignores one planted there (a hub of an older sqlferry took them)', async () => {
    const dir = tempDir();
    const hub = await newHub(dir);
    const a = await firstReplica(dir, hub, SCHEMA);
    sql(a.paths.db, "INSERT INTO t VALUES (1, 'one')");
    commitAll(a);
    await pushTo(a, hub);
    // Planted as the folder would store it, past every check a hub makes now.
    const folder = join(hub, 'snapshots');
    const genesis = snapshotsOf(hub)[0]!;
    const meta = JSON.parse(readFileSync(join(folder, genesis), 'utf8'));
    writeFileSync(join(folder, `${'1000'.padStart(20, '0')}.json`), JSON.stringify({ ...meta, seq: 1000 }));
    await expect(withRemote(hub, (r) => r.latestSnapshot())).resolves.toMatchObject({ seq: 1000 });

    const b = await cloneReplica(dir, hub, 'b');
    expect(rows(b.paths.db, 't')).toEqual([{ id: 1, v: 'one' }]);
    expect(b.state().hubSeq).toBe(1);
    expect(verify(b)).toMatchObject({ ok: true });
    sql(a.paths.db, "INSERT INTO t VALUES (2, 'two')");
    commitAll(a);
    expect((await pushTo(a, hub)).snapshot).not.toHaveProperty('failed');
  });
});
