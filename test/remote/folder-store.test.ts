// What only a folder hub has, on the folder engine every folder transport shares (src/hub/folder/):
// the head hint and the files a refusal must not leave behind. The rest is the conformance suite.
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { fileRemote } from '../../src/remote/file/index.ts';
import { LocalFolderFs } from '../../src/remote/file/folder-fs.ts';
import { FolderStore } from '../../src/hub/folder/store.ts';
import { StoredHub } from '../../src/hub/stored-hub.ts';
import type { EntryWithBytes } from '../../src/hub/remote.ts';
import { seqName } from '../../src/hub/naming.ts';
import { streamedAbove } from '../../src/shared/pieces.ts';
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

  it('writes a batch in one durable step: every file fsynced before any name is linked, the folder fsynced once after the last', async () => {
    const { dir } = await freshHub();
    const calls: string[] = [];
    class Recording extends LocalFolderFs {
      override async writeNewFiles(files: Array<{ name: string; bytes: Uint8Array }>) {
        await super.writeNewFiles(files);
        calls.push(`durable ${files.length} files`);
      }
      override async linkExclusive(from: string, to: string) {
        calls.push(`link ${to}`);
        return super.linkExclusive(from, to);
      }
      override async syncFolder(name: string) {
        calls.push(`sync ${name}`);
        return super.syncFolder(name);
      }
    }
    const hub = new StoredHub(new FolderStore(dir, new Recording(dir), 8));
    await addGenesis(hub);
    await hub.appendBatch(batchOf(['a', 'b', 'c']));
    expect(calls).toEqual(['durable 6 files', `link log/${seqName(1)}.json`, `link log/${seqName(2)}.json`, `link log/${seqName(3)}.json`, 'sync log']);
  });

  it('keeps the whole entries before a link that failed mid-batch, and nothing after it', async () => {
    const { dir, remote } = await freshHub();
    await addGenesis(remote);
    let links = 0;
    class Failing extends LocalFolderFs {
      override async linkExclusive(from: string, to: string) {
        if (++links === 3) throw new Error('the disk went away');
        return super.linkExclusive(from, to);
      }
    }
    const hub = new StoredHub(new FolderStore(dir, new Failing(dir), 8));
    const batch = batchOf(['a', 'b', 'c', 'd', 'e']);
    await expect(hub.appendBatch(batch)).rejects.toThrow('the disk went away');
    const stored = await remote.readBatch(0, { limit: 10, maxBytes: 1 << 20 }); // checksums verified
    expect(stored.map((e) => e.meta.seq)).toEqual([1, 2]);
    const log = await readdir(join(dir, 'log'));
    expect(log.filter((f) => f.startsWith('.tmp-'))).toEqual([]);
    expect(log.filter((f) => f.startsWith(seqName(4)) || f.startsWith(seqName(5)))).toEqual([]);
    await remote.appendBatch(batch.slice(2)); // the numbers after the prefix are still free
    expect(await remote.head()).toBe(5);
  });

  it('reads back nothing it published and probes the head from the last entry it saw: one round trip each on a network hub', async () => {
    const { dir, remote: maker } = await freshHub();
    await addGenesis(maker);
    await maker.close();
    const asked: string[] = [];
    const fs = new LocalFolderFs(dir);
    const counted = Object.assign(Object.create(fs) as LocalFolderFs, {
      readText: (name: string) => (asked.push(`read ${name}`), fs.readText(name)),
      exists: (name: string) => (asked.push(`exists ${name}`), fs.exists(name)),
    });
    const remote = new StoredHub(new FolderStore(dir, counted, 8));
    const batch = batchOf(['a', 'b', 'c']);
    await remote.appendBatch(batch);
    asked.length = 0;
    expect((await remote.list(0)).map((m) => m.sha256)).toEqual(batch.map((e) => e.meta.sha256));
    expect(await remote.head()).toBe(3);
    expect(await remote.info()).toMatchObject({ format: 'sqlferry-hub' });
    // Each head(): entry 3 (still there) and entry 4 (not yet), asked together; no metadata read back, no hint, no hub file.
    const twice = (name: string) => [name, name];
    expect(asked.sort()).toEqual([...twice(`exists log/${seqName(3)}.json`), ...twice(`exists log/${seqName(4)}.json`)]);
    expect((await remote.readBatch(0, { limit: 10, maxBytes: 1 << 20 })).map((e) => e.meta.seq)).toEqual([1, 2, 3]);
    await remote.close();
  });

  it('reads entries listed before in batches without probing the head again (a pull asks for a batch at a time)', async () => {
    const { dir, remote: maker } = await freshHub();
    await addGenesis(maker);
    await maker.appendBatch(batchOf(['a', 'b', 'c', 'd']));
    await maker.close();
    const asked: string[] = [];
    const fs = new LocalFolderFs(dir);
    const counted = Object.assign(Object.create(fs) as LocalFolderFs, {
      exists: (name: string) => (asked.push(`exists ${name}`), fs.exists(name)),
    });
    const remote = new StoredHub(new FolderStore(dir, counted, 8));
    expect((await remote.list(0)).map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    const probes = asked.length;
    expect((await remote.readBatch(0, { limit: 2, maxBytes: 1 << 20 })).map((e) => e.meta.seq)).toEqual([1, 2]);
    expect((await remote.readBatch(2, { limit: 2, maxBytes: 1 << 20 })).map((e) => e.meta.seq)).toEqual([3, 4]);
    expect(asked.length).toBe(probes);
    // Past what was listed, the head is asked as before: what was appended since is found.
    expect((await remote.readBatch(2, { limit: 10, maxBytes: 1 << 20 })).map((e) => e.meta.seq)).toEqual([3, 4]);
    expect(asked.length).toBeGreaterThan(probes);
    await remote.close();
  });
});

describe('folder hub on a local disk: reading a file', () => {
  it('streams a file as large as a streamed entry, never in one buffer, and stops one byte past the size asked', async () => {
    const dir = join(root, `files${n++}`);
    const fs = new LocalFolderFs(dir);
    await fs.mkdir('.');
    const large = streamedAbove() + 100;
    await writeFile(join(dir, 'large'), '');
    await truncate(join(dir, 'large'), large + 50_000); // longer than its metadata says
    const chunks: number[] = [];
    for await (const chunk of fs.stream('large', large)) chunks.push(chunk.byteLength);
    expect(chunks.reduce((a, b) => a + b, 0)).toBe(large + 1);
    expect(Math.max(...chunks)).toBeLessThan(1 << 20);
    await writeFile(join(dir, 'small'), Buffer.alloc(5000, 7));
    const small: number[] = [];
    for await (const chunk of fs.stream('small', 4000)) small.push(chunk.byteLength);
    expect(small).toEqual([4001]); // one read
  });
});

describe('folder hub: a snapshots folder full of other names', () => {
  it('finds the latest snapshot at or below a number among many names that are not committed snapshots', async () => {
    const { dir, remote } = await freshHub();
    await addGenesis(remote);
    const bodies = [1, 2, 3].map((seq) => changeset(`e${seq}`));
    for (const [i, meta] of chain(bodies).entries()) {
      await remote.append(meta, bodies[i]!);
      const later = Buffer.concat([GENESIS.subarray(0, 16), Buffer.from(`after ${meta.seq}`)]);
      await remote.writeSnapshot(snapshotOf(meta.seq, later), later);
    }
    const junk = ['.tmp-x', `${seqName(2)}.json~`, `${seqName(9)}.db`, 'x.json', 'notes'];
    for (let i = 0; i < 1500; i++) await writeFile(join(dir, 'snapshots', `${junk[i % junk.length]}${i}`), '');
    await writeFile(join(dir, 'snapshots', `${seqName(7)}.json`), 'a later snapshot, past the number asked for');
    const reader = await fileRemote.open(dir);
    for (const atMost of [6, 3, 2, 1, 0]) expect((await reader.latestSnapshot(atMost))?.seq).toBe(Math.min(atMost, 3));
    await reader.close();
  });
});

/** Entries 1.. chained after the genesis, each with its bytes. */
function batchOf(texts: string[]): EntryWithBytes[] {
  const bodies = texts.map((t) => changeset(t));
  return chain(bodies).map((meta, i) => ({ meta, bytes: bodies[i]! }));
}
