// Another program writes between the pull's commit and its transaction (here: while the pull
// fetches, at a moment the test chooses): the pull captures that write inside its own write
// transaction and rebases it with the local commits, or with --no-commit refuses, changing
// nothing. A pull whose COMMIT is refused leaves a record the next command discards.
import { describe, it, expect } from 'vitest';
import { DatabaseSync } from 'node:sqlite';
import { commit } from '../../src/repo/capture/commit.ts';
import { verify } from '../../src/repo/verify.ts';
import { chooseHandlers } from '../../src/sync/handlers/index.ts';
import { pull } from '../../src/sync/pull.ts';
import { cloneReplica, commitAll, firstReplica, newHub, pullWith, pushTo, rows, sql, tempDir, withRemote, writingWhileFetched } from './helpers.ts';

const SCHEMA = "CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT, qty INT); INSERT INTO item VALUES (1, 'apple', 5);";

async function hubAhead(schema = SCHEMA) {
  const dir = tempDir();
  const hub = await newHub(dir);
  const a = await firstReplica(dir, hub, schema);
  const b = await cloneReplica(dir, hub, 'b');
  sql(b.paths.db, "INSERT INTO item VALUES (2, 'pear', 1)");
  commitAll(b, 'pear');
  await pushTo(b, hub);
  return { hub, a, b };
}

describe('a program writing while the pull runs', () => {
  it('has its write rebased into the pull\'s one new local commit, and nothing is left uncommitted', async () => {
    const { hub, a, b } = await hubAhead();
    sql(a.paths.db, "INSERT INTO item VALUES (10, 'fig', 1)"); // committed by the pull first
    const handlers = await chooseHandlers([]);
    const r = await withRemote(hub, (remote) =>
      pull(a, writingWhileFetched(remote, () => sql(a.paths.db, "INSERT INTO item VALUES (11, 'kiwi', 2); UPDATE item SET qty = 6 WHERE id = 1;")), { handlers }),
    );
    expect(r).toMatchObject({ pulled: 1, head: 1, rebased: true, localCommit: 2, conflicts: [] });
    expect(a.lastSeq()).toBe(2);
    expect(commit(a)).toBeNull(); // the log's end is the live database
    await pushTo(a, hub);
    await pullWith(b, hub);
    const expected = [
      { id: 1, name: 'apple', qty: 6 },
      { id: 2, name: 'pear', qty: 1 },
      { id: 10, name: 'fig', qty: 1 },
      { id: 11, name: 'kiwi', qty: 2 },
    ];
    expect(rows(a.paths.db, 'item')).toEqual(expected);
    expect(rows(b.paths.db, 'item')).toEqual(expected);
    expect(verify(a).ok).toBe(true);
    expect(verify(b).ok).toBe(true);
  });

  it('with --no-commit, refuses and changes nothing', async () => {
    const { hub, a } = await hubAhead();
    const handlers = await chooseHandlers([]);
    const err = await withRemote(hub, (remote) =>
      pull(a, writingWhileFetched(remote, () => sql(a.paths.db, "INSERT INTO item VALUES (11, 'kiwi', 2)")), { handlers, commit: false }),
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'UNCOMMITTED_CHANGES' });
    expect(rows(a.paths.db, 'item')).toEqual([{ id: 1, name: 'apple', qty: 5 }, { id: 11, name: 'kiwi', qty: 2 }]);
    expect(a.lastSeq()).toBe(0);
    expect(verify(a).ok).toBe(true);
    expect(commit(a)).toMatchObject({ seq: 1 }); // the write is still there to commit
  });

  it('whose reader keeps the COMMIT out: nothing applied, and the next pull discards the record and succeeds (triggers too)', async () => {
    const { hub, a } = await hubAhead(`${SCHEMA} CREATE TRIGGER item_seen AFTER INSERT ON item BEGIN SELECT 1; END;`);
    sql(a.paths.db, "INSERT INTO item VALUES (10, 'fig', 1)");
    const saved = process.env.SQLFERRY_BUSY_TIMEOUT_MS;
    process.env.SQLFERRY_BUSY_TIMEOUT_MS = '300';
    const reader = new DatabaseSync(a.paths.db); // rollback journal: its read lock blocks COMMIT
    try {
      const handlers = await chooseHandlers([]);
      const err = await withRemote(hub, (remote) =>
        pull(a, writingWhileFetched(remote, () => {
          reader.exec('BEGIN');
          reader.prepare('SELECT count(*) FROM item').get();
        }), { handlers }),
      ).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'DATABASE_LOCKED' });
    } finally {
      if (reader.isTransaction) reader.exec('COMMIT');
      reader.close();
      if (saved === undefined) delete process.env.SQLFERRY_BUSY_TIMEOUT_MS;
      else process.env.SQLFERRY_BUSY_TIMEOUT_MS = saved;
    }
    expect(rows(a.paths.db, 'item')).toEqual([{ id: 1, name: 'apple', qty: 5 }, { id: 10, name: 'fig', qty: 1 }]);
    expect(await pullWith(a, hub)).toMatchObject({ pulled: 1, localCommit: 2 });
    expect(rows(a.paths.db, 'item').map((r) => r.id)).toEqual([1, 2, 10]);
    expect(verify(a).ok).toBe(true);
  });
});
