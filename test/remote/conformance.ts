// The one suite every transport runs (file, ssh, http), each with its own setup.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import type { EntryMeta, HubInfo, Remote } from '../../src/hub/remote.ts';
import { sha256, collect } from '../../src/hub/checksum.ts';
import { seqName } from '../../src/hub/naming.ts';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface TransportUnderTest {
  /** A URL where no hub exists yet (fresh per test). */
  freshUrl(): Promise<string>;
  create(url: string, info: HubInfo): Promise<Remote>;
  open(url: string): Promise<Remote>;
  /** The folder on this machine that holds the hub's log (every transport stores files). */
  logFolder(url: string): string;
  /**
   * Network transports only: the same hub reached through a real TCP link that drops (both ways)
   * once `bytes` have crossed in `direction`; `close` stops the link.
   */
  throughDroppingLink?(url: string, direction: 'down' | 'up', bytes: number): Promise<{ url: string; close(): Promise<void> }>;
}

const worker = fileURLToPath(new URL('./append-worker.ts', import.meta.url));
const ZERO = '0'.repeat(64);

export function hubInfo(kind: 'changeset' | 'patchset' = 'changeset'): HubInfo {
  return { format: 'sqlferry-hub', version: 1, hubId: randomUUID(), kind, created: new Date().toISOString() };
}

export function entry(seq: number, bytes: Uint8Array, parent = ZERO): EntryMeta {
  return { seq, parent, replica: 'r1', time: new Date(0).toISOString(), message: `entry ${seq}`, schema: ['CREATE TABLE t(x)'], kind: 'changeset', sha256: sha256(bytes), size: bytes.length };
}

function runWorker(url: string, id: string, count: number, size: number) {
  const child = spawn(process.execPath, [worker, url, id, String(count), String(size)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: string | null; won: number[] }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, won: [...stdout.matchAll(/won (\d+)/g)].map((m) => Number(m[1])), ...(stderr && code ? { stderr } : {}) })),
  );
  return { child, done };
}

/** Damage the stored bytes of entry `seq` the way a bad disk would (same size, one byte flipped). */
async function damageEntry(log: string, seq: number): Promise<void> {
  const name = (await readdir(log)).find((f) => f.startsWith(seqName(seq)) && f.endsWith('.changeset'))!;
  const bytes = await readFile(join(log, name));
  bytes[bytes.length - 1]! ^= 0xff;
  await writeFile(join(log, name), bytes);
}

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
      const bodies = [Buffer.from('one'), Buffer.alloc(300_000, 7), Buffer.from('three')];
      for (const [i, b] of bodies.entries()) await remote.append(entry(i + 1, b), b);
      expect(await remote.head()).toBe(3);
      expect((await remote.list(1)).map((m) => m.seq)).toEqual([2, 3]);
      expect((await remote.list(0, 2)).map((m) => m.seq)).toEqual([1, 2]);
      const second = await remote.read(2);
      expect(second.meta).toEqual(entry(2, bodies[1]!));
      expect(Buffer.compare(await collect(second.body), bodies[1]!)).toBe(0);
      await expect(remote.read(4)).rejects.toMatchObject({ code: 'HUB_ENTRY_NOT_FOUND' });
    });

    it('finds the head and lists entries whatever the head hint says: stale, past the end, torn, garbage or missing', async () => {
      for (let seq = 1; seq <= 5; seq++) await remote.append(entry(seq, Buffer.from(`e${seq}`)), Buffer.from(`e${seq}`));
      const hint = join(transport.logFolder(url), 'head');
      expect(await readFile(hint, 'utf8')).toBe(seqName(5)); // what a writer leaves
      for (const text of [seqName(2), seqName(6), seqName(99), seqName(5).slice(0, 12), 'garbage', '', undefined]) {
        if (text === undefined) await rm(hint); // a hub written before hints existed
        else await writeFile(hint, text);
        const reader = await transport.open(url);
        expect(await reader.head()).toBe(5);
        expect((await reader.list(2)).map((m) => m.seq)).toEqual([3, 4, 5]);
        expect((await reader.list(0, 2)).map((m) => m.seq)).toEqual([1, 2]);
        await reader.close();
      }
      await remote.append(entry(6, Buffer.from('e6')), Buffer.from('e6'));
      expect(await readFile(hint, 'utf8')).toBe(seqName(6));
      expect(await remote.head()).toBe(6);
    });

    it('refuses an append at a number that exists, and leaves the entry untouched', async () => {
      await remote.append(entry(1, Buffer.from('first')), Buffer.from('first'));
      await expect(remote.append(entry(1, Buffer.from('other')), Buffer.from('other'))).rejects.toMatchObject({ code: 'HUB_ENTRY_EXISTS' });
      await expect(remote.append(entry(3, Buffer.from('gap')), Buffer.from('gap'))).rejects.toMatchObject({ code: 'HUB_SEQ_GAP' });
      expect(Buffer.from(await collect((await remote.read(1)).body)).toString()).toBe('first');
      expect(await remote.head()).toBe(1);
    });

    it('lets exactly one of many racing appends for one number win', async () => {
      const racers = await Promise.all(Array.from({ length: 8 }, () => transport.open(url)));
      const results = await Promise.allSettled(racers.map((r, i) => r.append(entry(1, Buffer.from(`racer ${i}`)), Buffer.from(`racer ${i}`))));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'HUB_ENTRY_EXISTS' });
      const winner = results.findIndex((r) => r.status === 'fulfilled');
      expect(Buffer.from(await collect((await remote.read(1)).body)).toString()).toBe(`racer ${winner}`);
      await Promise.all(racers.map((r) => r.close()));
    });

    it('serialises appenders in separate processes: every entry lands once, none is lost', async () => {
      const runs = ['a', 'b', 'c'].map((id) => runWorker(url, id, 15, 2000));
      const results = await Promise.all(runs.map((r) => r.done));
      for (const r of results) expect(r, JSON.stringify(r)).toMatchObject({ code: 0 });
      const won = results.flatMap((r) => r.won).sort((a, b) => a - b);
      expect(won).toEqual(Array.from({ length: 45 }, (_, i) => i + 1));
      for (const meta of await remote.list(0)) {
        const text = Buffer.from(await collect((await remote.read(meta.seq)).body)).toString();
        expect(text.startsWith(`${meta.replica}:${meta.seq}:`)).toBe(true);
      }
    });

    it('never shows a torn entry when an appender is killed at a random moment', async () => {
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
        const next = Buffer.from('after the crash');
        // If that late request landed, it is whole, and the next number is the one after.
        const landedLate = await remote.append(entry(head + 1, next), next).then(() => false, (err) => {
          if (err.code !== 'HUB_ENTRY_EXISTS') throw err;
          return true;
        });
        if (landedLate) {
          const late = await remote.read(head + 1);
          expect((await collect(late.body)).length).toBe(late.meta.size);
          expect(await remote.head()).toBe(head + 1);
          await remote.append(entry(head + 2, next), next);
        }
      }
    });

    it('verifies checksums on read: damaged bytes are an error, not data', async () => {
      const bytes = Buffer.alloc(200_000, 1);
      await remote.append(entry(1, bytes), bytes);
      await damageEntry(transport.logFolder(url), 1);
      const { body } = await remote.read(1);
      const seen: number[] = [];
      const reading = (async () => {
        for await (const chunk of body) seen.push(chunk.length);
      })();
      await expect(reading).rejects.toMatchObject({ code: 'HUB_ENTRY_CORRUPT' });
      expect(seen.reduce((a, b) => a + b, 0)).toBeLessThan(bytes.length);
    });

    it('stores snapshots exclusively per number and returns the latest', async () => {
      const genesis = Buffer.alloc(50_000, 3);
      const meta = { seq: 0, sha256: sha256(genesis), size: genesis.length, replica: 'r1', time: new Date(0).toISOString() };
      await remote.writeSnapshot(meta, genesis);
      await expect(remote.writeSnapshot(meta, genesis)).rejects.toMatchObject({ code: 'HUB_SNAPSHOT_EXISTS' });
      const later = Buffer.from('later');
      await remote.writeSnapshot({ ...meta, seq: 5, sha256: sha256(later), size: later.length }, (async function* () { yield later; })());
      expect((await remote.latestSnapshot())?.seq).toBe(5);
      expect(await remote.latestSnapshot(4)).toEqual(meta);
      const read = await remote.readSnapshot(0);
      expect(Buffer.compare(await collect(read.body), genesis)).toBe(0);
    });

    it.skipIf(!transport.throughDroppingLink)('turns a link dropped mid-transfer into HUB_CONNECTION_LOST, and stores nothing half', async () => {
      const first = Buffer.alloc(4 << 20, 5);
      await remote.append(entry(1, first), first);
      const down = await transport.throughDroppingLink!(url, 'down', 1 << 20);
      const reader = await transport.open(down.url);
      const reading = (async () => collect((await reader.read(1)).body))();
      await expect(reading).rejects.toMatchObject({ code: 'HUB_CONNECTION_LOST' });
      await reader.close();
      await down.close();

      const second = Buffer.alloc(4 << 20, 6);
      const up = await transport.throughDroppingLink!(url, 'up', 1 << 20);
      const writer = await transport.open(up.url);
      await expect(writer.append(entry(2, second), second)).rejects.toMatchObject({ code: 'HUB_CONNECTION_LOST' });
      await writer.close();
      await up.close();
      expect(await remote.head()).toBe(1);
      await remote.append(entry(2, second), second); // the number is still free
      expect(Buffer.compare(await collect((await remote.read(2)).body), second)).toBe(0);
    });
  });
}
