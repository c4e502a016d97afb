// A hub restored from an older backup ends before the entries a replica already had from it.
// Its push is refused as such (PUSH_REJECTED, exit 4), not with "pull first" — a pull cannot
// bring back what the hub lost — nor with the append's generic HUB_SEQ_GAP.
import { describe, it, expect } from 'vitest';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../repo/helpers.ts';
import { commitAll, firstReplica, newHub, pushTo, sql, tempDir, withRemote } from './helpers.ts';

describe('a push to a hub restored from an older backup', () => {
  it('is refused with PUSH_REJECTED, exit code 4, and a hint that does not send the user to pull', async () => {
    const dir = tempDir();
    const hub = await newHub(dir);
    const a = await firstReplica(dir, hub, 'CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT);');
    sql(a.paths.db, "INSERT INTO item VALUES (1, 'one')");
    commitAll(a);
    await pushTo(a, hub);
    cpSync(hub, join(dir, 'backup'), { recursive: true });
    sql(a.paths.db, "INSERT INTO item VALUES (2, 'two')");
    commitAll(a);
    await pushTo(a, hub);
    rmSync(hub, { recursive: true });
    cpSync(join(dir, 'backup'), hub, { recursive: true });
    sql(a.paths.db, "INSERT INTO item VALUES (3, 'three')");
    commitAll(a);

    const refused = pushTo(a, hub);
    await expect(refused).rejects.toMatchObject({
      code: 'PUSH_REJECTED',
      exitCode: 4,
      message: expect.stringContaining('is behind this replica: it ends at entry 1, but this replica already had entry 2'),
      data: { head: 1, hubSeq: 2, reason: 'hub-behind' },
    });
    await expect(refused).rejects.toMatchObject({ hint: expect.not.stringMatching(/pull first|sqlferry pull/) });
    expect(await withRemote(hub, (r) => r.head())).toBe(1); // nothing appended

    const r = cli(dir, 'push', '--json', '--db', a.paths.db);
    expect(r.status).toBe(4);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'PUSH_REJECTED', exitCode: 4, data: { reason: 'hub-behind' } } });
    expect(r.stderr).toMatch(/^error: the hub at .* is behind this replica.*\nhint: nothing was pushed; restore the hub from a backup that has entries up to 2/);
  });
});
