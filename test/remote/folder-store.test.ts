// What only a folder hub has, on the folder engine every folder transport shares (src/hub/folder/):
// the head hint and the files a refusal must not leave behind. The rest is the conformance suite.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { fileRemote } from '../../src/remote/file/index.ts';
import { seqName } from '../../src/hub/naming.ts';
import { GENESIS, addGenesis, chain, changeset, entry, hubInfo, snapshotOf } from './hub-fixtures.ts';

const root = await mkdtemp(join(tmpdir(), 'sqlferry-folder-store-'));
let n = 0;

async function freshHub() {
  const dir = join(root, `hub${n++}`);
  return { dir, remote: await fileRemote.create(dir, hubInfo()) };
}

describe('folder hub', () => {
  it('finds the head and lists entries whatever the head hint says: stale, past the end, torn, garbage or missing', async () => {
    const { dir, remote } = await freshHub();
    await addGenesis(remote);
    const bodies = [1, 2, 3, 4, 5, 6].map((seq) => changeset(`e${seq}`));
    const metas = chain(bodies);
    for (let seq = 1; seq <= 5; seq++) await remote.append(metas[seq - 1]!, bodies[seq - 1]!);
    const hint = join(dir, 'log', 'head');
    expect(await readFile(hint, 'utf8')).toBe(seqName(5)); // what a writer leaves
    for (const text of [seqName(2), seqName(6), seqName(99), seqName(5).slice(0, 12), 'garbage', '', undefined]) {
      if (text === undefined) await rm(hint); // a hub written before hints existed
      else await writeFile(hint, text);
      const reader = await fileRemote.open(dir);
      expect(await reader.head()).toBe(5);
      expect((await reader.list(2)).map((m) => m.seq)).toEqual([3, 4, 5]);
      expect((await reader.list(0, 2)).map((m) => m.seq)).toEqual([1, 2]);
      await reader.close();
    }
    await remote.append(metas[5]!, bodies[5]!);
    expect(await readFile(hint, 'utf8')).toBe(seqName(6));
    expect(await remote.head()).toBe(6);
  });

  it('leaves no bytes behind when an entry or a snapshot is refused or loses a race', async () => {
    const { dir, remote } = await freshHub();
    const notSqlite = Buffer.alloc(5000, 1);
    await expect(remote.writeSnapshot(snapshotOf(0, notSqlite), notSqlite)).rejects.toMatchObject({ code: 'HUB_SNAPSHOT_REFUSED' });
    await expect(remote.writeSnapshot({ ...snapshotOf(0, GENESIS), size: GENESIS.length + 1 }, GENESIS)).rejects.toMatchObject({ code: 'HUB_SNAPSHOT_REFUSED' });
    expect(await readdir(join(dir, 'snapshots'))).toEqual([]);
    await addGenesis(remote);
    await expect(remote.writeSnapshot(snapshotOf(0, GENESIS), GENESIS)).rejects.toMatchObject({ code: 'HUB_SNAPSHOT_EXISTS' });
    expect((await readdir(join(dir, 'snapshots'))).length).toBe(2); // the genesis: metadata and bytes
    const garbage = Buffer.from('not a changeset');
    await expect(remote.append(entry(1, garbage), garbage)).rejects.toMatchObject({ code: 'HUB_APPEND_REFUSED' });
    const racers = await Promise.all([0, 1, 2, 3].map(() => fileRemote.open(dir)));
    await Promise.allSettled(racers.map((r, i) => r.append(entry(1, changeset(`r${i}`)), changeset(`r${i}`))));
    const log = (await readdir(join(dir, 'log'))).filter((f) => f !== 'head');
    expect(log.filter((f) => f.startsWith(seqName(1))).sort()).toHaveLength(2); // one winner: its metadata and bytes
    expect(log.filter((f) => !f.startsWith(seqName(1)))).toEqual([]);
  });
});
