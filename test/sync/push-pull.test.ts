import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { Replica } from '../../src/repo/replica.ts';
import { verify } from '../../src/repo/verify.ts';
import { openRemote } from '../../src/remote/registry.ts';
import { push } from '../../src/sync/push.ts';
import { sync } from '../../src/sync/sync.ts';
import { chooseHandlers } from '../../src/sync/handlers/index.ts';
import { addRemote } from '../../src/sync/remotes.ts';
import { cloneReplica, commitAll, firstReplica, newHub, pullWith, pushTo, rows, sql, tempDir, withRemote } from './helpers.ts';

const SCHEMA = 'CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT UNIQUE, qty INT); INSERT INTO item VALUES (1, \'apple\', 5);';

describe('push and pull', () => {
  it('carries commits from one replica to another through a hub', async () => {
    const dir = tempDir();
    const hub = await newHub(dir);
    const a = await firstReplica(dir, hub, SCHEMA);
    const b = await cloneReplica(dir, hub, 'b');
    expect(rows(b.paths.db, 'item')).toEqual([{ id: 1, name: 'apple', qty: 5 }]);
    sql(a.paths.db, "INSERT INTO item VALUES (2, 'pear', 1); UPDATE item SET qty = 4 WHERE id = 1;");
    commitAll(a, 'more fruit');
    expect(await pushTo(a, hub)).toMatchObject({ pushed: 1, head: 1 });
    const r = await pullWith(b, hub);
    expect(r).toMatchObject({ pulled: 1, head: 1, rebased: false, conflicts: [] });
    expect(rows(b.paths.db, 'item')).toEqual(rows(a.paths.db, 'item'));
    expect(b.meta(1).message).toBe('more fruit');
    expect(verify(b).ok).toBe(true);
  });

  it('refuses a push when the hub moved on, with "pull first" and exit code 4', async () => {
    const dir = tempDir();
    const hub = await newHub(dir);
    const a = await firstReplica(dir, hub, SCHEMA);
    const b = await cloneReplica(dir, hub, 'b');
    sql(a.paths.db, "INSERT INTO item VALUES (2, 'pear', 1)");
    commitAll(a);
    await pushTo(a, hub);
    sql(b.paths.db, "INSERT INTO item VALUES (3, 'plum', 1)");
    commitAll(b);
    await expect(pushTo(b, hub)).rejects.toMatchObject({ code: 'PUSH_REJECTED', exitCode: 4, message: expect.stringMatching(/pull first/) });
    // Pull rebases b's commit onto a's; then b can push, and a gets both.
    await pullWith(b, hub);
    await pushTo(b, hub);
    await pullWith(a, hub);
    expect(rows(a.paths.db, 'item').map((r) => r.name)).toEqual(['apple', 'pear', 'plum']);
    expect(rows(b.paths.db, 'item')).toEqual(rows(a.paths.db, 'item'));
  });

  it('lets exactly one of two racing pushers win; the other is told to pull', async () => {
    const dir = tempDir();
    const hub = await newHub(dir);
    const a = await firstReplica(dir, hub, SCHEMA);
    const b = await cloneReplica(dir, hub, 'b');
    sql(a.paths.db, "INSERT INTO item VALUES (2, 'pear', 1)");
    sql(b.paths.db, "INSERT INTO item VALUES (3, 'plum', 1)");
    commitAll(a);
    commitAll(b);
    const results = await Promise.allSettled([pushTo(a, hub), pushTo(b, hub)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'PUSH_REJECTED' } });
    expect(await withRemote(hub, (r) => r.head())).toBe(1);
  });

  it('refuses a replica whose history is unrelated to the hub, saying to clone', async () => {
    const dir = tempDir();
    const hub = await newHub(dir);
    await firstReplica(dir, hub, SCHEMA);
    const other = join(dir, 'other.db');
    // (A byte-identical starting database would be the same genesis, and welcome.)
    sql(other, SCHEMA + "INSERT INTO item VALUES (7, 'kiwi', 1);");
    const stranger = Replica.init(other);
    addRemote(stranger, 'origin', hub);
    await expect(pushTo(stranger, hub)).rejects.toMatchObject({ code: 'HUB_UNRELATED', hint: expect.stringMatching(/sqlferry clone/) });
    await expect(pullWith(stranger, hub)).rejects.toMatchObject({ code: 'HUB_UNRELATED' });
  });

  it('stores patchsets on a patchset hub, and replicas still converge', async () => {
    const dir = tempDir();
    const hub = await newHub(dir, 'patchset');
    const a = await firstReplica(dir, hub, SCHEMA);
    const b = await cloneReplica(dir, hub, 'b');
    sql(a.paths.db, "UPDATE item SET qty = 9 WHERE id = 1; INSERT INTO item VALUES (2, 'pear', 1);");
    commitAll(a);
    await pushTo(a, hub);
    const entry = await withRemote(hub, async (r) => (await r.list(0))[0]!);
    expect(entry.kind).toBe('patchset');
    expect(entry.size).toBeLessThan(a.entry(1).meta.size);
    await pullWith(b, hub);
    expect(rows(b.paths.db, 'item')).toEqual(rows(a.paths.db, 'item'));
    expect(verify(b).ok).toBe(true);
  });

  it('commits uncommitted changes before pulling, or refuses with --no-commit', async () => {
    const dir = tempDir();
    const hub = await newHub(dir);
    const a = await firstReplica(dir, hub, SCHEMA);
    const b = await cloneReplica(dir, hub, 'b');
    sql(a.paths.db, "INSERT INTO item VALUES (2, 'pear', 1)");
    commitAll(a);
    await pushTo(a, hub);
    sql(b.paths.db, "INSERT INTO item VALUES (3, 'plum', 1)");
    const handlers = await chooseHandlers([]);
    const r = await openRemote(hub);
    await expect(sync(b, r, { handlers, commit: false })).rejects.toMatchObject({ code: 'UNCOMMITTED_CHANGES' });
    expect(rows(b.paths.db, 'item')).toHaveLength(2);
    const done = await sync(b, r, { handlers });
    expect(done).toMatchObject({ pulled: 1, pushed: 1, head: 2 });
    expect(rows(b.paths.db, 'item').map((x) => x.name)).toEqual(['apple', 'pear', 'plum']);
    await expect(push(b, r)).resolves.toMatchObject({ pushed: 0, head: 2 });
  });
});
