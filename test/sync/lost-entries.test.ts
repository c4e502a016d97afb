// A pull stopped after its live COMMIT whose copy of a hub entry in pull/ is then damaged (a
// power loss, a bad disk): recovery must not link the damaged bytes into the log. Offline
// commands say what is wrong and change nothing; the next pull fetches the entry again from
// the hub by sha256 (or says the hub could not send it) and finishes the interrupted pull.
import { describe, it, expect } from 'vitest';
import { renameSync, truncateSync } from 'node:fs';
import { commit } from '../../src/repo/capture/commit.ts';
import { pendingBytesFile, readPending } from '../../src/repo/pull-recovery/pending-pull.ts';
import { verify } from '../../src/repo/verify.ts';
import { openRemote } from '../../src/remote/registry.ts';
import { chooseHandlers } from '../../src/sync/handlers/index.ts';
import { pull } from '../../src/sync/pull.ts';
import { cloneReplica, commitAll, firstReplica, newHub, pullCutAfterCommit, pushTo, rows, sql, tempDir } from './helpers.ts';

const SCHEMA = 'CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);';
const content = (db: string) => JSON.stringify(rows(db, 't'));

describe('an interrupted pull whose copy of a hub entry was damaged', () => {
  it('refuses offline, then fetches the entry again from the hub and finishes', async () => {
    const dir = tempDir('sqlferry-lost-');
    const hub = await newHub(dir);
    const a = await firstReplica(dir, hub, SCHEMA);
    const b = await cloneReplica(dir, hub, 'b');
    sql(a.paths.db, `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 500) INSERT INTO t SELECT i, 'hub ' || i FROM s;`);
    commitAll(a);
    await pushTo(a, hub);
    const after = content(a.paths.db);

    await pullCutAfterCommit(b, hub, 1);
    expect(content(b.paths.db)).toBe(after);
    expect(readPending(b.paths)?.phase).toBe('prepared');

    // The damage: the pending copy of hub entry 1 loses its tail.
    truncateSync(pendingBytesFile(b.paths, 1), 10);
    expect(() => commit(b)).toThrow(expect.objectContaining({ code: 'PULL_ENTRIES_LOST' }));
    expect(content(b.paths.db)).toBe(after);

    // The hub unreachable: one clear error, the pending record kept for the next try.
    const remote = await openRemote(hub);
    renameSync(hub, `${hub}.away`);
    const handlers = await chooseHandlers([]);
    const unreachable = await pull(b, remote, { handlers }).catch((err: unknown) => err);
    expect(unreachable).toMatchObject({ code: 'PULL_ENTRIES_UNREACHABLE', message: expect.stringContaining('the next pull tries again') });
    expect(readPending(b.paths)?.phase).toBe('prepared');
    renameSync(`${hub}.away`, hub);

    // Reachable again: fetched by sha256, the interrupted pull finished, nothing left to pull.
    expect(await pull(b, remote, { handlers })).toMatchObject({ pulled: 0 });
    await remote.close();
    expect(readPending(b.paths)).toBeNull();
    expect(content(b.paths.db)).toBe(after);
    expect(verify(b)).toMatchObject({ ok: true });
    expect(b.state().hubSeq).toBe(1);
    expect(b.seqs()).toEqual([1]);
    expect(commit(b)).toBeNull(); // the hub's rows are not mistaken for local changes
  });

  it('is finished with certainty once one of its entries is in the log, even after the schema changed', async () => {
    const dir = tempDir('sqlferry-lost-');
    const hub = await newHub(dir);
    const a = await firstReplica(dir, hub, SCHEMA);
    const b = await cloneReplica(dir, hub, 'b');
    for (const v of ['one', 'two']) {
      sql(a.paths.db, `INSERT INTO t(v) VALUES ('${v}')`);
      commitAll(a);
    }
    await pushTo(a, hub);

    await pullCutAfterCommit(b, hub, 2); // hub entry 1 linked into the log, entry 2 not
    expect(readPending(b.paths)?.phase).toBe('prepared');
    // Another program changes the schema: schema_version alone could no longer tell.
    sql(b.paths.db, 'CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT)');

    const entry = commit(b)!; // finishes the pull first, then records the new table
    expect(readPending(b.paths)).toBeNull();
    expect(b.state().hubSeq).toBe(2);
    expect(entry).toMatchObject({ seq: 3, schema: [expect.stringContaining('CREATE TABLE notes')] });
    expect(verify(b)).toMatchObject({ ok: true });
    expect(content(b.paths.db)).toBe(content(a.paths.db));
  });
});
