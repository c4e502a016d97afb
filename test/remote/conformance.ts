// The one suite every hub runs — every store (folder, PostgreSQL) and every remote (file, ssh,
// http) — each with its own setup, reaching the hub only through the Remote and HubStore interfaces.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import type { HubInfo, Remote } from '../../src/hub/remote.ts';
import type { HubStore } from '../../src/hub/store.ts';
import { GENESIS, GENESIS_SHA, addGenesis, chain, changeset, entry, hubInfo, snapshotOf } from './hub-fixtures.ts';
import { sha256, collect } from '../../src/hub/checksum.ts';
import { plantDamagedEntry, runWorker } from './conformance-tools.ts';
import { batchConformance } from './conformance-batch.ts';

export interface TransportUnderTest {
  /** A URL where no hub exists yet (fresh per test). */
  freshUrl(): Promise<string>;
  create(url: string, info: HubInfo): Promise<Remote>;
  open(url: string): Promise<Remote>;
  /** The same hub's store, below the hub's rules: what a damaged or foreign writer could leave there. */
  storeOf(url: string): Promise<HubStore>;
  /**
   * Network transports only: the same hub reached through a real TCP link that drops (both ways)
   * once `bytes` have crossed in `direction`; `close` stops the link.
   */
  throughDroppingLink?(url: string, direction: 'down' | 'up', bytes: number): Promise<{ url: string; close(): Promise<void> }>;
}

export { GENESIS, GENESIS_SHA, addGenesis, chain, changeset, entry, hubInfo, snapshotOf } from './hub-fixtures.ts';

export function remoteConformance(name: string, transport: TransportUnderTest): void {
  describe(`Remote conformance: ${name}`, () => {
    let url: string;
    let remote: Remote;
    beforeEach(async () => {
      url = await transport.freshUrl();
      remote = await transport.create(url, hubInfo());
    });
    afterEach(async () => remote.close());

    it('starts empty and says who it is', async () => {
      const again = await transport.open(url);
      expect((await again.info()).hubId).toBe((await remote.info()).hubId);
      expect(await again.head()).toBe(0);
      expect(await again.list(0)).toEqual([]);
      expect(await again.latestSnapshot()).toBeNull();
      await again.close();
      await again.close(); // idempotent
    });

    it('refuses a URL with no hub, and a second create', async () => {
      const nowhere = await transport.open(await transport.freshUrl());
      await expect(nowhere.info()).rejects.toMatchObject({ code: 'HUB_NOT_FOUND' });
      await expect(transport.create(url, hubInfo())).rejects.toMatchObject({ code: 'HUB_EXISTS' });
    });

    it('returns appended entries in order, byte for byte, with their metadata', async () => {
      await addGenesis(remote);
      const bodies = [changeset('one'), changeset('two', 300_000), changeset('three')];
      const metas = chain(bodies);
      for (const [i, b] of bodies.entries()) await remote.append(metas[i]!, b);
      expect(await remote.head()).toBe(3);
      expect((await remote.list(1)).map((m) => m.seq)).toEqual([2, 3]);
      expect((await remote.list(0, 2)).map((m) => m.seq)).toEqual([1, 2]);
      const second = await remote.read(2);
      expect(second.meta).toEqual(metas[1]);
      expect(Buffer.compare(await collect(second.body), bodies[1]!)).toBe(0);
      await expect(remote.read(4)).rejects.toMatchObject({ code: 'HUB_ENTRY_NOT_FOUND' });
    });

    it('refuses an append at a number that exists, and leaves the entry untouched', async () => {
      await addGenesis(remote);
      const first = changeset('first');
      await remote.append(entry(1, first), first);
      const other = changeset('other');
      await expect(remote.append(entry(1, other), other)).rejects.toMatchObject({ code: 'HUB_ENTRY_EXISTS' });
      const gap = changeset('gap');
      await expect(remote.append(entry(3, gap, sha256(first)), gap)).rejects.toMatchObject({ code: 'HUB_SEQ_GAP' });
      expect(Buffer.compare(await collect((await remote.read(1)).body), first)).toBe(0);
      expect(await remote.head()).toBe(1);
    });

    it('lets exactly one of many racing appends for one number win', async () => {
      await addGenesis(remote);
      const racers = await Promise.all(Array.from({ length: 8 }, () => transport.open(url)));
      const results = await Promise.allSettled(racers.map((r, i) => r.append(entry(1, changeset(`racer ${i}`)), changeset(`racer ${i}`))));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'HUB_ENTRY_EXISTS' });
      const winner = results.findIndex((r) => r.status === 'fulfilled');
      expect(Buffer.compare(await collect((await remote.read(1)).body), changeset(`racer ${winner}`))).toBe(0);
      await Promise.all(racers.map((r) => r.close()));
    });

    it('store: exactly one of many racing exclusive appends for one number is stored', async () => {
      const stores = await Promise.all(Array.from({ length: 6 }, () => transport.storeOf(url)));
      const bodies = stores.map((_, i) => changeset(`raw ${i}`));
      const won = await Promise.all(stores.map((s, i) => s.appendExclusive(entry(1, bodies[i]!), bodies[i]!)));
      expect(won.filter(Boolean)).toHaveLength(1);
      const stored = await stores[0]!.entry(1);
      expect(Buffer.compare(await collect(stored.body), bodies[won.indexOf(true)]!)).toBe(0);
      expect(await stores[1]!.head()).toBe(1);
      await Promise.all(stores.map((s) => s.close()));
    });

    it('serialises appenders in separate processes: every entry lands once, none is lost', async () => {
      await addGenesis(remote);
      const runs = ['a', 'b', 'c'].map((id) => runWorker(url, id, 15, 2000));
      const results = await Promise.all(runs.map((r) => r.done));
      for (const r of results) expect(r, JSON.stringify(r)).toMatchObject({ code: 0 });
      const won = results.flatMap((r) => r.won).sort((a, b) => a - b);
      expect(won).toEqual(Array.from({ length: 45 }, (_, i) => i + 1));
      for (const meta of await remote.list(0)) {
        const text = Buffer.from(await collect((await remote.read(meta.seq)).body)).toString();
        expect(text).toContain(`${meta.replica}:${meta.seq}:`);
      }
    });

    it('never shows a torn entry when an appender is killed at a random moment', async () => {
      await addGenesis(remote);
      for (let round = 0; round < 4; round++) {
        const run = runWorker(url, `k${round}`, 1000, 256 * 1024);
        await new Promise((r) => setTimeout(r, 150 + Math.random() * 250));
        run.child.kill('SIGKILL');
        await run.done;
        // Listed first: over a network the killed appender's last request may still land at any
        // moment now (the server finishes what it received), so `head` is what the list shows.
        const metas = await remote.list(0);
        const head = metas.length;
        expect(metas.map((m) => m.seq)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
        expect(await remote.head()).toBeGreaterThanOrEqual(head);
        for (const meta of metas) expect((await collect((await remote.read(meta.seq)).body)).length).toBe(meta.size);
        const next = changeset('after the crash');
        const tip = head === 0 ? GENESIS_SHA : metas[head - 1]!.sha256;
        // If that late request landed, it is whole, and the next number is the one after.
        const landedLate = await remote.append(entry(head + 1, next, tip), next).then(() => false, (err) => {
          if (err.code !== 'HUB_ENTRY_EXISTS') throw err;
          return true;
        });
        if (landedLate) {
          const late = await remote.read(head + 1);
          expect((await collect(late.body)).length).toBe(late.meta.size);
          expect(await remote.head()).toBe(head + 1);
          await remote.append(entry(head + 2, next, late.meta.sha256), next);
        }
      }
    });

    it('verifies checksums on read: damaged bytes are an error, not data', async () => {
      await addGenesis(remote);
      const store = await transport.storeOf(url);
      const bytes = await plantDamagedEntry(store, 1, GENESIS_SHA, 200_000);
      await store.close();
      const { body } = await remote.read(1);
      const seen: number[] = [];
      const reading = (async () => {
        for await (const chunk of body) seen.push(chunk.length);
      })();
      await expect(reading).rejects.toMatchObject({ code: 'HUB_ENTRY_CORRUPT' });
      expect(seen.reduce((a, b) => a + b, 0)).toBeLessThan(bytes.length);
    });

    it('stores snapshots exclusively per number and returns the latest', async () => {
      const genesis = Buffer.concat([GENESIS, Buffer.alloc(50_000, 3)]);
      const meta = snapshotOf(0, genesis);
      await remote.writeSnapshot(meta, genesis);
      await expect(remote.writeSnapshot(meta, genesis)).rejects.toMatchObject({ code: 'HUB_SNAPSHOT_EXISTS' });
      const bodies = [1, 2, 3, 4, 5].map((seq) => changeset(`e${seq}`));
      for (const [i, m] of bodies.map((b, i) => entry(i + 1, b, i === 0 ? meta.sha256 : sha256(bodies[i - 1]!))).entries()) await remote.append(m, bodies[i]!);
      const later = Buffer.concat([GENESIS.subarray(0, 16), Buffer.from('later')]);
      await remote.writeSnapshot(snapshotOf(5, later), (async function* () { yield later.subarray(0, 3); yield later.subarray(3); })());
      expect((await remote.latestSnapshot())?.seq).toBe(5);
      expect(await remote.latestSnapshot(4)).toEqual(meta);
      const read = await remote.readSnapshot(0);
      expect(Buffer.compare(await collect(read.body), genesis)).toBe(0);
    });

    it('refuses an entry that does not continue the hub: no genesis, a gap, a wrong parent; stores nothing', async () => {
      const one = changeset('one');
      await expect(remote.append(entry(1, one), one)).rejects.toMatchObject({ code: 'HUB_APPEND_REFUSED', data: { reason: 'parent' }, message: expect.stringContaining('no genesis snapshot') });
      await addGenesis(remote);
      await expect(remote.append(entry(2, one), one)).rejects.toMatchObject({ code: 'HUB_SEQ_GAP' });
      const zeros = entry(1, one, '0'.repeat(64));
      const refused = await remote.append(zeros, one).catch((e) => e);
      expect(refused).toMatchObject({ code: 'HUB_APPEND_REFUSED', exitCode: 4, data: { reason: 'parent', seq: 1 } });
      expect(refused.message).toMatch(/refused entry 1: its parent checksum 0{64} is not the checksum of the genesis snapshot/);
      await remote.append(entry(1, one), one);
      const two = changeset('two');
      await expect(remote.append(entry(2, two, GENESIS_SHA), two)).rejects.toMatchObject({ code: 'HUB_APPEND_REFUSED', data: { reason: 'parent' }, message: expect.stringContaining('the checksum of entry 1') });
      expect(await remote.head()).toBe(1);
      await expect(remote.read(2)).rejects.toMatchObject({ code: 'HUB_ENTRY_NOT_FOUND' });
    });

    it('refuses bytes that are not a changeset of the hub\'s kind, or not what the metadata says; stores nothing', async () => {
      await addGenesis(remote);
      const garbage = Buffer.from('garbage that is no changeset at all');
      await expect(remote.append(entry(1, garbage), garbage)).rejects.toMatchObject({ code: 'HUB_APPEND_REFUSED', data: { reason: 'changeset', offset: 0 } });
      const truncated = changeset('cut short', 100).subarray(0, 50);
      await expect(remote.append(entry(1, truncated), truncated)).rejects.toMatchObject({ code: 'HUB_APPEND_REFUSED', data: { reason: 'changeset' } });
      const patchset = changeset('p', 1, 'patchset');
      await expect(remote.append(entry(1, patchset), patchset)).rejects.toMatchObject({ code: 'HUB_APPEND_REFUSED', data: { reason: 'changeset' } });
      const one = changeset('one');
      await expect(remote.append({ ...entry(1, one), kind: 'patchset' }, one)).rejects.toMatchObject({ code: 'HUB_APPEND_REFUSED', data: { reason: 'kind' }, message: expect.stringContaining('it is a patchset and this hub holds changesets') });
      await expect(remote.append(entry(1, one), changeset('another'))).rejects.toMatchObject({ code: 'HUB_APPEND_REFUSED', data: { reason: 'checksum' } });
      await expect(remote.append({ ...entry(1, one), size: one.length + 1 }, one)).rejects.toMatchObject({ code: 'HUB_APPEND_REFUSED', data: { reason: 'checksum' } });
      expect(await remote.head()).toBe(0);
      expect(await remote.list(0)).toEqual([]);
      await remote.append(entry(1, one), one); // the number is still free
    });

    it('takes a large entry as a stream: byte for byte; a stream unlike its metadata, or broken, stores nothing', async () => {
      await addGenesis(remote);
      const big = Buffer.concat(Array.from({ length: 20 }, (_, i) => changeset(`r${i}`, 20_000)));
      const inChunks = (bytes: Uint8Array) => (async function* () {
        for (let at = 0; at < bytes.length; at += 7000) yield bytes.subarray(at, at + 7000);
      })();
      await remote.appendStream(entry(1, big), inChunks(big));
      expect(Buffer.compare(await collect((await remote.read(1)).body), big)).toBe(0);
      const next = (bytes: Uint8Array) => entry(2, bytes, sha256(big));
      const cut = big.subarray(0, big.length - 10);
      await expect(remote.appendStream(next(cut), inChunks(cut))).rejects.toMatchObject({ code: 'HUB_APPEND_REFUSED', data: { reason: 'changeset' } });
      await expect(remote.appendStream({ ...next(big), sha256: sha256(cut) }, inChunks(big))).rejects.toMatchObject({ code: 'HUB_APPEND_REFUSED', data: { reason: 'checksum' } });
      const broken = (async function* () {
        yield big.subarray(0, 5000);
        throw new Error('the source broke');
      })();
      await expect(remote.appendStream(next(big), broken)).rejects.toThrow();
      await expect(remote.appendStream(entry(1, big), inChunks(big))).rejects.toMatchObject({ code: 'HUB_ENTRY_EXISTS' });
      expect(await remote.head()).toBe(1);
      await remote.appendStream(next(big), inChunks(big)); // the number is still free
      expect((await remote.list(1)).map((m) => m.sha256)).toEqual([sha256(big)]);
    });

    it('refuses an entry whose schema statements the schema rule refuses; stores nothing', async () => {
      await addGenesis(remote);
      const one = changeset('one');
      const attach = { ...entry(1, one), schema: ["ATTACH '/tmp/x.db' AS x", 'CREATE TABLE x.y(a)'] };
      await expect(remote.append(attach, one)).rejects.toMatchObject({ code: 'HUB_APPEND_REFUSED', data: { reason: 'schema' } });
      expect(await remote.head()).toBe(0);
      await remote.append(entry(1, one), one);
    });

    it('refuses a snapshot beyond the head, one that is not a SQLite file, or not its claimed size; stores nothing', async () => {
      await expect(remote.writeSnapshot(snapshotOf(1, GENESIS), GENESIS)).rejects.toMatchObject({ code: 'HUB_SNAPSHOT_REFUSED', exitCode: 4, data: { reason: 'beyond-head', seq: 1 } });
      const notSqlite = Buffer.alloc(5000, 1);
      await expect(remote.writeSnapshot(snapshotOf(0, notSqlite), notSqlite)).rejects.toMatchObject({ code: 'HUB_SNAPSHOT_REFUSED', data: { reason: 'not-sqlite' } });
      const short = GENESIS.subarray(0, 10);
      await expect(remote.writeSnapshot(snapshotOf(0, short), short)).rejects.toMatchObject({ code: 'HUB_SNAPSHOT_REFUSED', data: { reason: 'not-sqlite' } });
      await expect(remote.writeSnapshot({ ...snapshotOf(0, GENESIS), size: GENESIS.length + 100 }, GENESIS)).rejects.toMatchObject({ code: 'HUB_SNAPSHOT_REFUSED', data: { reason: 'checksum' } });
      await expect(remote.writeSnapshot(snapshotOf(0, GENESIS), Buffer.concat([GENESIS.subarray(0, -1), Buffer.from([9])]))).rejects.toMatchObject({ code: 'HUB_SNAPSHOT_REFUSED', data: { reason: 'checksum' } });
      expect(await remote.latestSnapshot()).toBeNull();
      await expect(remote.readSnapshot(0)).rejects.toMatchObject({ code: 'HUB_ENTRY_NOT_FOUND' });
      await addGenesis(remote);
      const one = changeset('one');
      await remote.append(entry(1, one), one);
      await expect(remote.writeSnapshot(snapshotOf(1000, GENESIS), GENESIS)).rejects.toMatchObject({ code: 'HUB_SNAPSHOT_REFUSED', data: { reason: 'beyond-head' }, message: expect.stringContaining("refused snapshot 1000: the hub's last entry is 1") });
      await remote.writeSnapshot(snapshotOf(1, GENESIS), GENESIS);
      expect((await remote.latestSnapshot())?.seq).toBe(1);
    });

    it.skipIf(!transport.throughDroppingLink)('turns a link dropped mid-transfer into HUB_CONNECTION_LOST, and stores nothing half', async () => {
      await addGenesis(remote);
      const first = changeset('5', 4 << 20);
      await remote.append(entry(1, first), first);
      const down = await transport.throughDroppingLink!(url, 'down', 1 << 20);
      const reader = await transport.open(down.url);
      const reading = (async () => collect((await reader.read(1)).body))();
      await expect(reading).rejects.toMatchObject({ code: 'HUB_CONNECTION_LOST' });
      await reader.close();
      await down.close();

      const second = changeset('6', 4 << 20);
      const up = await transport.throughDroppingLink!(url, 'up', 1 << 20);
      const writer = await transport.open(up.url);
      await expect(writer.append(entry(2, second, sha256(first)), second)).rejects.toMatchObject({ code: 'HUB_CONNECTION_LOST' });
      await writer.close();
      await up.close();
      expect(await remote.head()).toBe(1);
      await remote.append(entry(2, second, sha256(first)), second); // the number is still free
      expect(Buffer.compare(await collect((await remote.read(2)).body), second)).toBe(0);
    });
  });
  batchConformance(name, transport);
}
