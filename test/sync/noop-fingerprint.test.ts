// A sync that finds nothing to commit records the fingerprint (as commit and status do): the next
// one answers "nothing changed" from a stat, without reading a table or opening base.db, and an
// edit made right after it is still seen.
import { describe, it, expect } from 'vitest';
import { renameSync } from 'node:fs';
import { chooseHandlers } from '../../src/sync/handlers/index.ts';
import { sync } from '../../src/sync/sync.ts';
import type { Replica } from '../../src/repo/replica.ts';
import { cloneReplica, firstReplica, newHub, rows, sql, tempDir, withRemote } from './helpers.ts';

async function syncWith(replica: Replica, hub: string) {
  const handlers = await chooseHandlers([]);
  return withRemote(hub, (remote) => sync(replica, remote, { handlers }));
}

describe('a no-op sync', () => {
  it('records the fingerprint, so the next one reads no table, and an edit right after is pushed', async () => {
    const dir = tempDir();
    const hub = await newHub(dir);
    await firstReplica(dir, hub, 'CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER); INSERT INTO t VALUES (1, 1000);');
    const b = await cloneReplica(dir, hub, 'b');
    sql(b.paths.db, 'UPDATE t SET v = 1000'); // the same content, the file written: its fingerprint no longer holds
    expect((await syncWith(b, hub)).pushed).toBe(0); // compares, finds nothing, records it

    renameSync(b.paths.base, `${b.paths.base}.away`); // any read of base.db would now fail
    expect(await syncWith(b, hub)).toMatchObject({ pulled: 0, pushed: 0 });
    renameSync(`${b.paths.base}.away`, b.paths.base);

    sql(b.paths.db, 'UPDATE t SET v = 1001'); // same size, in place: only timestamps move
    expect((await syncWith(b, hub)).pushed).toBe(1);
    const c = await cloneReplica(dir, hub, 'c');
    expect(rows(c.paths.db, 't')).toEqual([{ id: 1, v: 1001 }]);
  });
});
