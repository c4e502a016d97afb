// A pull asks the hub while it commits the replica's uncommitted changes. What goes wrong is
// still said as before: the changes are committed and then the hub's absence is the error; and
// when the commit itself fails, that failure is the error, not the hub's.
import { spawn } from 'node:child_process';
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { firstReplica, newHub, pullWith, pushTo, sql, tempDir } from './helpers.ts';

afterEach(() => {
  delete process.env.SQLFERRY_BUSY_TIMEOUT_MS;
});

async function pushedWithUncommittedRow(dir: string, hub: string) {
  const a = await firstReplica(dir, hub, 'CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)');
  await pushTo(a, hub);
  sql(a.paths.db, "INSERT INTO t VALUES (1, 'not committed yet')");
  return a;
}

describe('a pull that reaches the hub while it commits first', () => {
  it('commits the changes, then says the hub is gone', async () => {
    const dir = tempDir();
    const hub = await newHub(dir);
    const a = await pushedWithUncommittedRow(dir, hub);
    const before = a.lastSeq();
    renameSync(hub, join(dir, 'moved'));
    await expect(pullWith(a, hub)).rejects.toMatchObject({ code: 'HUB_NOT_FOUND' });
    expect(a.lastSeq()).toBe(before + 1);
  });

  it("says the database is locked when it cannot commit, whether or not the hub is there", async () => {
    const dir = tempDir();
    const hub = await newHub(dir);
    const a = await pushedWithUncommittedRow(dir, hub);
    const holder = spawn('/usr/bin/sqlite3', [a.paths.db], { stdio: ['pipe', 'pipe', 'inherit'] });
    holder.stdin.write("BEGIN EXCLUSIVE; UPDATE t SET v = 'held'; SELECT 'locked';\n");
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    process.env.SQLFERRY_BUSY_TIMEOUT_MS = '200';
    try {
      await expect(pullWith(a, hub)).rejects.toMatchObject({ code: 'DATABASE_LOCKED' });
      renameSync(hub, join(dir, 'moved'));
      await expect(pullWith(a, hub)).rejects.toMatchObject({ code: 'DATABASE_LOCKED' });
    } finally {
      holder.stdin.end('COMMIT;\n');
      await new Promise((r) => holder.on('exit', r));
    }
  });
});
