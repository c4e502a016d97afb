// A push reads its first batch while the connection to the hub opens. Whatever
// goes wrong is still said as before: a hub that cannot be reached is the error, not the entries
// read meanwhile; a damaged entry is the error once the hub is there; and an entry whose bytes
// match its checksum but are no changeset is LOG_CORRUPT, nothing stored.
import { createHash } from 'node:crypto';
import { readdirSync, renameSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { entryPaths } from '../../src/repo/sidecar.ts';
import { commitAll, firstReplica, newHub, pushTo, sql, tempDir } from './helpers.ts';

async function replicaWithCommits(dir: string, hub: string) {
  const a = await firstReplica(dir, hub, 'CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)');
  for (let i = 1; i <= 3; i++) {
    sql(a.paths.db, `INSERT INTO t VALUES (${i}, 'row ${i}')`);
    commitAll(a, `commit ${i}`);
  }
  return a;
}

describe('a push that reads while it connects', () => {
  it('says the hub is gone, with commits to send and one of them damaged', async () => {
    const dir = tempDir();
    const hub = await newHub(dir);
    const a = await replicaWithCommits(dir, hub);
    const bytes = entryPaths(a.paths, 2).bytes;
    writeFileSync(bytes, readFileSync(bytes).subarray(1));
    renameSync(hub, join(dir, 'moved'));
    const gone = await pushTo(a, hub).catch((err: unknown) => err);
    expect(gone).toMatchObject({ code: 'HUB_NOT_FOUND' });
    renameSync(join(dir, 'moved'), hub);
    await expect(pushTo(a, hub)).rejects.toMatchObject({ code: 'LOG_CORRUPT', data: { seq: 2 } });
  });

  it('says a log entry that matches its checksum but is no changeset is corrupt, nothing stored', async () => {
    const dir = tempDir();
    const hub = await newHub(dir);
    const a = await replicaWithCommits(dir, hub);
    const { bytes, meta } = entryPaths(a.paths, 2);
    const garbage = Buffer.from('not a changeset at all');
    writeFileSync(bytes, garbage);
    writeFileSync(meta, JSON.stringify({ ...JSON.parse(readFileSync(meta, 'utf8')), size: garbage.length, sha256: createHash('sha256').update(garbage).digest('hex'), digestChange: undefined }));
    await expect(pushTo(a, hub)).rejects.toMatchObject({ code: 'LOG_CORRUPT', data: { seq: 2, path: bytes } });
    expect(readdirSync(join(hub, 'log')).filter((n) => n.endsWith('.json'))).toEqual([]); // the batch with it: none
  });
});
