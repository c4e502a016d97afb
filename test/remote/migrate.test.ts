// `sqlferry hub migrate FROM TO` and a hub on PostgreSQL used by real replicas: `init --bare
// postgres://…`, push, clone, then the hub copied to a folder and back, every checksum checked.
import { describe, it, expect, afterAll } from 'vitest';
import { join } from 'node:path';
import { cli, chinookCopy, dumpTables, sqlite3, tempDir } from '../repo/helpers.ts';
import { SKIP_POSTGRES, startPostgres } from './postgres.ts';
import type { TestPostgres } from './postgres.ts';
import { fileRemote, folderOf, folderStore } from '../../src/remote/file/index.ts';
import { openRemote } from '../../src/remote/registry.ts';
import { collect, sha256 } from '../../src/hub/checksum.ts';
import { GENESIS, addGenesis, chain, changeset, hubInfo, snapshotOf } from './hub-fixtures.ts';

async function sameHub(a: string, b: string): Promise<number> {
  const [x, y] = [await openRemote(a), await openRemote(b)];
  expect((await y.info()).hubId).toBe((await x.info()).hubId);
  const head = await x.head();
  expect(await y.head()).toBe(head);
  expect(await y.list(0)).toEqual(await x.list(0));
  for (let seq = 1; seq <= head; seq++) expect(sha256(await collect((await y.read(seq)).body))).toBe(sha256(await collect((await x.read(seq)).body)));
  for (let s = await x.latestSnapshot(); s; s = s.seq === 0 ? null : await x.latestSnapshot(s.seq - 1)) expect(await y.latestSnapshot(s.seq)).toEqual(s);
  await x.close();
  await y.close();
  return head;
}

describe('hub migrate', () => {
  it('copies entries and snapshots between folders, continues a copy cut short, and refuses damaged bytes', async () => {
    const dir = tempDir();
    const from = join(dir, 'from');
    const hub = await fileRemote.create(from, hubInfo());
    await addGenesis(hub);
    const bodies = [1, 2, 3, 4, 5].map((i) => changeset(`e${i}`, 1000 * i));
    const metas = chain(bodies);
    for (let i = 0; i < 3; i++) await hub.append(metas[i]!, bodies[i]!);
    const later = Buffer.concat([GENESIS, Buffer.from('as of 2')]);
    await hub.writeSnapshot(snapshotOf(2, later), later);
    const first = cli(dir, 'hub', 'migrate', from, join(dir, 'to'));
    expect(first).toMatchObject({ status: 0, stdout: expect.stringMatching(/^Copied hub [0-9a-f-]{36} to .*to: 3 entries and 2 snapshots, every checksum checked; it has 3 entries\n$/) });
    for (let i = 3; i < 5; i++) await hub.append(metas[i]!, bodies[i]!);
    const again = JSON.parse(cli(dir, 'hub', 'migrate', from, join(dir, 'to'), '--json').stdout);
    expect(again).toMatchObject({ head: 5, entries: 2, snapshots: 0, continuedFrom: 3 });
    expect(await sameHub(from, join(dir, 'to'))).toBe(5);

    const other = await fileRemote.create(join(dir, 'other'), hubInfo());
    await other.close();
    expect(cli(dir, 'hub', 'migrate', from, join(dir, 'other'))).toMatchObject({ status: 1, stderr: expect.stringMatching(/^error: .*other already holds another hub\n/) });

    // Entry 4's stored bytes are not what its metadata names: the copy stops before it, whole up to 3.
    const damaged = join(dir, 'damaged');
    const bad = await fileRemote.create(damaged, hubInfo());
    await addGenesis(bad);
    for (let i = 0; i < 3; i++) await bad.append(metas[i]!, bodies[i]!);
    const flipped = Buffer.from(bodies[3]!);
    flipped[flipped.length - 1]! ^= 1;
    await folderStore(damaged, folderOf(damaged)).appendExclusive(metas[3]!, flipped);
    const refused = cli(dir, 'hub', 'migrate', damaged, join(dir, 'copy'));
    expect(refused).toMatchObject({ status: 6, stderr: expect.stringMatching(/^error: hub entry 4 does not match its checksum/) });
    const copy = await openRemote(join(dir, 'copy'));
    expect(await copy.head()).toBe(3);
    await copy.close();
    await hub.close();
    await bad.close();
  });

  describe.skipIf(SKIP_POSTGRES)(SKIP_POSTGRES ?? 'PostgreSQL', () => {
    let pg: TestPostgres;
    afterAll(() => pg?.stop());

    it('init --bare makes a hub in PostgreSQL that replicas push to and clone from; migrate takes it to a folder and back', async () => {
      pg = await startPostgres();
      pg.createDatabase('replicas');
      const dir = tempDir();
      const url = `${pg.storeUrl('replicas')}/app`;
      expect(cli(dir, 'init', '--bare', url)).toMatchObject({ status: 0, stdout: expect.stringContaining(`Initialized an empty changeset hub`) });
      expect(cli(dir, 'init', '--bare', url)).toMatchObject({ status: 1, stderr: expect.stringContaining('there is already a sqlferry hub at') });
      const db = chinookCopy(dir);
      expect(cli(dir, 'init', db).status).toBe(0);
      expect(cli(dir, '--db', db, 'remote', 'add', 'origin', url).status).toBe(0);
      sqlite3(db, "UPDATE Artist SET Name = 'changed' WHERE ArtistId = 1;");
      expect(cli(dir, '--db', db, 'sync', '-q')).toMatchObject({ status: 0, stderr: '' });
      const clone = join(dir, 'clone.db');
      expect(cli(dir, 'clone', url, clone)).toMatchObject({ status: 0 });
      expect(dumpTables(clone)).toEqual(dumpTables(db));

      expect(cli(dir, 'hub', 'migrate', url, join(dir, 'folder-copy')).status).toBe(0);
      const back = `${pg.storeUrl('replicas')}/app-again`;
      expect(cli(dir, 'hub', 'migrate', join(dir, 'folder-copy'), back).status).toBe(0);
      expect(await sameHub(url, back)).toBe(1);
      expect(cli(dir, '--db', db, 'remote', 'add', 'x', 'postgres://me:secret@host/db/app')).toMatchObject({ status: 2, stderr: expect.stringContaining('it holds a password') });
    });
  });
});
