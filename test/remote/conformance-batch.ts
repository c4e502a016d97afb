// The contract's batches (src/hub/remote.ts: appendBatch, readBatch; src/hub/store.ts:
// appendBatchExclusive, entryBatch), run on every store and remote beside the shared suite.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import type { EntryWithBytes, Remote } from '../../src/hub/remote.ts';
import { sha256, collect } from '../../src/hub/checksum.ts';
import type { TransportUnderTest } from './conformance.ts';
import { GENESIS_SHA, addGenesis, chain, changeset, entry, hubInfo } from './hub-fixtures.ts';
import { plantDamagedEntry, runWorker } from './conformance-tools.ts';

const ALL = { limit: 1000, maxBytes: 1 << 30 };

/** Entries `from`.. chained after `parent`, each with its bytes. */
function batchOf(from: number, texts: string[], parent = GENESIS_SHA, size?: number): EntryWithBytes[] {
  const out: EntryWithBytes[] = [];
  for (const [i, text] of texts.entries()) {
    const bytes = changeset(text, size ?? text.length);
    out.push({ meta: entry(from + i, bytes, i === 0 ? parent : out[i - 1]!.meta.sha256), bytes });
  }
  return out;
}

export function batchConformance(name: string, transport: TransportUnderTest): void {
  describe(`Remote conformance, batches: ${name}`, () => {
    let url: string;
    let remote: Remote;
    beforeEach(async () => {
      url = await transport.freshUrl();
      remote = await transport.create(url, hubInfo());
      await addGenesis(remote);
    });
    afterEach(async () => remote.close());

    it('appends a batch in one call and reads it back in batches, byte for byte', async () => {
      const bodies = [changeset('one'), changeset('two', 300_000), changeset('three'), changeset('four', 70_000), changeset('five')];
      const metas = chain(bodies);
      await remote.appendBatch(bodies.map((bytes, i) => ({ meta: metas[i]!, bytes })));
      expect(await remote.head()).toBe(5);
      const all = await remote.readBatch(0, ALL);
      expect(all.map((e) => e.meta)).toEqual(metas);
      all.forEach((e, i) => expect(Buffer.compare(e.bytes, bodies[i]!)).toBe(0));
      expect((await remote.readBatch(1, { limit: 2, maxBytes: 1 << 30 })).map((e) => e.meta.seq)).toEqual([2, 3]);
      // Bounded by bytes, and always at least one entry even when it alone passes the bound.
      expect((await remote.readBatch(1, { limit: 10, maxBytes: 1000 })).map((e) => e.meta.seq)).toEqual([2]);
      expect((await remote.readBatch(2, { limit: 10, maxBytes: 80_000 })).map((e) => e.meta.seq)).toEqual([3, 4, 5]);
      expect(await remote.readBatch(5, ALL)).toEqual([]);
      const again = await transport.open(url);
      await again.appendBatch(batchOf(6, ['six', 'seven'], metas[4]!.sha256));
      expect((await again.list(5)).map((m) => m.seq)).toEqual([6, 7]);
      await again.close();
    });

    it('checks every entry of a batch before storing any: a bad one anywhere stores nothing', async () => {
      const good = batchOf(1, ['a', 'b', 'c', 'd']);
      const badBytes = good.map((e, i) => (i === 2 ? { ...e, bytes: changeset('other') } : e));
      await expect(remote.appendBatch(badBytes)).rejects.toMatchObject({ code: 'HUB_APPEND_REFUSED', data: { reason: 'checksum', seq: 3 } });
      const badParent = good.map((e, i) => (i === 3 ? { ...e, meta: { ...e.meta, parent: GENESIS_SHA } } : e));
      await expect(remote.appendBatch(badParent)).rejects.toMatchObject({ code: 'HUB_APPEND_REFUSED', data: { reason: 'parent', seq: 4 }, message: expect.stringContaining('the checksum of entry 3') });
      const garbage = Buffer.from('no changeset');
      const badChangeset = [...good.slice(0, 3), { meta: entry(4, garbage, good[2]!.meta.sha256), bytes: garbage }];
      await expect(remote.appendBatch(badChangeset)).rejects.toMatchObject({ code: 'HUB_APPEND_REFUSED', data: { reason: 'changeset', seq: 4 } });
      const schema = good.map((e, i) => (i === 1 ? { ...e, meta: { ...e.meta, schema: ["ATTACH 'x' AS y"] } } : e));
      await expect(remote.appendBatch(schema)).rejects.toMatchObject({ code: 'HUB_APPEND_REFUSED', data: { reason: 'schema', seq: 2 } });
      await expect(remote.appendBatch([good[0]!, good[2]!])).rejects.toMatchObject({ code: 'HUB_SEQ_GAP' });
      await expect(remote.appendBatch(good.slice(1))).rejects.toMatchObject({ code: 'HUB_SEQ_GAP' });
      expect(await remote.head()).toBe(0);
      expect(await remote.list(0)).toEqual([]);
      await remote.appendBatch(good); // the numbers are still free
      expect(await remote.head()).toBe(4);
    });

    it('lets exactly one of many racing batches for the same numbers win, whole', async () => {
      const racers = await Promise.all(Array.from({ length: 6 }, () => transport.open(url)));
      const batches = racers.map((_, i) => batchOf(1, [`r${i}a`, `r${i}b`, `r${i}c`]));
      const results = await Promise.allSettled(racers.map((r, i) => r.appendBatch(batches[i]!)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'HUB_ENTRY_EXISTS', data: { seq: 1, stored: 0 } });
      const winner = results.findIndex((r) => r.status === 'fulfilled');
      const stored = await remote.readBatch(0, ALL);
      expect(stored.map((e) => Buffer.from(e.bytes).toString('latin1'))).toEqual(batches[winner]!.map((e) => Buffer.from(e.bytes).toString('latin1')));
      await Promise.all(racers.map((r) => r.close()));
    });

    it('store: a batch stops at the first number taken, keeping the entries before it', async () => {
      const store = await transport.storeOf(url);
      const batch = batchOf(1, ['p1', 'p2', 'p3', 'p4']);
      const planted = changeset('planted');
      expect(await store.appendExclusive(entry(3, planted), planted)).toBe(true);
      expect(await store.appendBatchExclusive(batch)).toBe(2);
      const read = await store.entryBatch(0, 10, 1 << 30);
      expect(read.map((e) => e.meta.seq)).toEqual([1, 2, 3]);
      expect(Buffer.compare(read[1]!.bytes, batch[1]!.bytes)).toBe(0);
      expect(Buffer.compare(read[2]!.bytes, planted)).toBe(0);
      await expect(store.entry(4)).rejects.toMatchObject({ code: 'HUB_ENTRY_NOT_FOUND' });
      await store.close();
    });

    it('store: racing exclusive batches for the same numbers store one of them, whole', async () => {
      const stores = await Promise.all(Array.from({ length: 5 }, () => transport.storeOf(url)));
      const batches = stores.map((_, i) => batchOf(1, [`s${i}a`, `s${i}b`]));
      const stored = await Promise.all(stores.map((s, i) => s.appendBatchExclusive(batches[i]!)));
      expect([...stored].sort()).toEqual([0, 0, 0, 0, 2]);
      const read = await stores[0]!.entryBatch(0, 10, 1 << 30);
      expect(read.map((e) => e.meta.sha256)).toEqual(batches[stored.indexOf(2)]!.map((e) => e.meta.sha256));
      await Promise.all(stores.map((s) => s.close()));
    });

    it('serialises batch appenders in separate processes: every entry lands once', async () => {
      const runs = ['a', 'b'].map((id) => runWorker(url, id, 6, 1500, 3));
      const results = await Promise.all(runs.map((r) => r.done));
      for (const r of results) expect(r, JSON.stringify(r)).toMatchObject({ code: 0 });
      expect(results.flatMap((r) => r.won).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      for (const e of await remote.readBatch(0, ALL)) expect(Buffer.from(e.bytes).toString('latin1')).toContain(`${e.meta.replica}:${e.meta.seq}:`);
    });

    it('leaves whole entries numbered without gaps when a batch appender is killed at a random moment', async () => {
      for (let round = 0; round < 3; round++) {
        const run = runWorker(url, `k${round}`, 1000, 64 * 1024, 8);
        await new Promise((r) => setTimeout(r, 200 + Math.random() * 300));
        run.child.kill('SIGKILL');
        await run.done;
        const metas = await remote.list(0);
        expect(metas.map((m) => m.seq)).toEqual(Array.from({ length: metas.length }, (_, i) => i + 1));
        // Read back in batches, every checksum verified; a late request may still land meanwhile.
        const read = await remote.readBatch(0, { limit: metas.length || 1, maxBytes: 1 << 30 });
        expect(read.length).toBeGreaterThanOrEqual(metas.length);
        read.forEach((e, i) => expect(e.meta.parent).toBe(i === 0 ? GENESIS_SHA : read[i - 1]!.meta.sha256));
      }
    });

    it('verifies checksums in a batch read: a damaged entry is an error, not data', async () => {
      const store = await transport.storeOf(url);
      const one = changeset('one');
      expect(await store.appendExclusive(entry(1, one), one)).toBe(true);
      await plantDamagedEntry(store, 2, sha256(one), 5_000);
      await store.close();
      await expect(remote.readBatch(0, ALL)).rejects.toMatchObject({ code: 'HUB_ENTRY_CORRUPT' });
      expect((await remote.readBatch(0, { limit: 1, maxBytes: 1 << 30 })).map((e) => e.meta.seq)).toEqual([1]);
      expect(Buffer.compare(await collect((await remote.read(1)).body), one)).toBe(0);
    });
  });
}
