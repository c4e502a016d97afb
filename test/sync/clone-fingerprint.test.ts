// A clone records the fingerprint of the database it wrote (it holds the base snapshot): its own
// pull, and every sync after it, answer "nothing changed" from a stat instead of reading every
// page and comparing every row of a database that may be gigabytes. An edit made right after the
// clone is still seen, and so is one another program commits before the fingerprint is taken.
import { describe, it, expect, vi } from 'vitest';
import { join } from 'node:path';
import { withUncommittedDiff } from '../../src/repo/capture/diff.ts';
import { chooseHandlers } from '../../src/sync/handlers/index.ts';
import { sync } from '../../src/sync/sync.ts';
import { cloneReplica, firstReplica, newHub, rows, sql, tempDir, withRemote } from './helpers.ts';

vi.mock('../../src/repo/capture/diff.ts', async (actual) => {
  const real = await actual<typeof import('../../src/repo/capture/diff.ts')>();
  return { ...real, withUncommittedDiff: vi.fn(real.withUncommittedDiff) };
});

/** Run once, just before the next fingerprint stat is taken: another program's write at the worst moment. */
const beforeStamp = vi.hoisted(() => ({ write: undefined as undefined | (() => void) }));
vi.mock('../../src/repo/pages/fingerprint.ts', async (actual) => {
  const real = await actual<typeof import('../../src/repo/pages/fingerprint.ts')>();
  return {
    ...real,
    takeStampPastTick: (...args: Parameters<typeof real.takeStampPastTick>) => {
      const write = beforeStamp.write;
      beforeStamp.write = undefined;
      write?.();
      return real.takeStampPastTick(...args);
    },
  };
});

describe('clone', () => {
  it('compares no row, from the genesis alone or with entries after it, and an edit right after is pushed', async () => {
    const dir = tempDir();
    const hub = await newHub(dir);
    const a = await firstReplica(dir, hub, 'CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER); INSERT INTO t VALUES (1, 1000);');
    const compared = vi.mocked(withUncommittedDiff);
    compared.mockClear();
    const b = await cloneReplica(dir, hub, 'b');
    expect(compared).not.toHaveBeenCalled();
    const handlers = await chooseHandlers([]);
    expect(await withRemote(hub, (remote) => sync(b, remote, { handlers }))).toMatchObject({ pulled: 0, pushed: 0 });
    expect(compared).not.toHaveBeenCalled();

    sql(a.paths.db, 'INSERT INTO t VALUES (2, 2000)');
    expect((await withRemote(hub, (remote) => sync(a, remote, { handlers }))).pushed).toBe(1);
    compared.mockClear();
    const c = await cloneReplica(dir, hub, 'c');
    expect(compared).not.toHaveBeenCalled();
    sql(c.paths.db, 'UPDATE t SET v = 2001 WHERE id = 2'); // same size, in place: only timestamps move
    expect((await withRemote(hub, (remote) => sync(c, remote, { handlers }))).pushed).toBe(1);
    expect(rows(c.paths.db, 't')).toEqual([{ id: 1, v: 1000 }, { id: 2, v: 2001 }]);
  });

  it('records none when another program wrote the new database before its stat: that write is pushed, not lost', async () => {
    const dir = tempDir();
    const hub = await newHub(dir);
    await firstReplica(dir, hub, 'CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER); INSERT INTO t VALUES (1, 1000);');
    const dbPath = join(dir, 'b.db');
    // Same size, in place: the stat taken after it would hold it, so only data_version can tell.
    beforeStamp.write = () => sql(dbPath, 'UPDATE t SET v = 1001 WHERE id = 1');
    const b = await cloneReplica(dir, hub, 'b');
    expect(beforeStamp.write).toBeUndefined();
    const handlers = await chooseHandlers([]);
    expect((await withRemote(hub, (remote) => sync(b, remote, { handlers }))).pushed).toBe(1);
    const c = await cloneReplica(dir, hub, 'c');
    expect(rows(c.paths.db, 't')).toEqual([{ id: 1, v: 1001 }]);
  });
});

