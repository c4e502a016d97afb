// The hub's rules, written once above every store (./store.ts): what is appended passes
// checkAppend and is exclusive per number, what is written as a snapshot passes checkSnapshot as
// it streams, and every byte read is checked against its metadata before the reader finishes.
// File, SSH and PostgreSQL hubs are each one of these over their store, and `serve` answers
// every request through one.
import type { BatchLimits, Body, EntryMeta, EntryWithBytes, HubInfo, Remote, SnapshotMeta } from './remote.ts';
import type { HubStore } from './store.ts';
import type { PruneOptions, PruneReport } from './folder/prune.ts';
import { EntryExistsError, SnapshotExistsError } from './errors.ts';
import { checkAppendBatch, checkAppendStream } from './check-append.ts';
import { checkSnapshot } from './check-snapshot.ts';
import { entryMeta, snapshotMeta } from './meta.ts';
import { asStream, verified, verifiedBytes } from './checksum.ts';
import { metered } from '../shared/pieces.ts';

export class StoredHub implements Remote {
  readonly url: string;
  private readonly store: HubStore;

  constructor(store: HubStore) {
    this.store = store;
    this.url = store.url;
  }

  info(): Promise<HubInfo> {
    return this.store.info();
  }

  head(): Promise<number> {
    return this.store.head();
  }

  async list(after: number, limit = Infinity): Promise<EntryMeta[]> {
    return (await this.store.entries(after, limit)).map(entryMeta);
  }

  async read(seq: number): Promise<{ meta: EntryMeta; body: AsyncIterable<Uint8Array> }> {
    const { meta, body } = await this.store.entry(seq);
    return { meta: entryMeta(meta), body: metered(verified(`hub entry ${seq}`, meta, body)) };
  }

  async readBatch(after: number, limits: BatchLimits): Promise<EntryWithBytes[]> {
    const batch = await this.store.entryBatch(after, Math.max(1, limits.limit), limits.maxBytes);
    return Promise.all(batch.map(async ({ meta, bytes }) => ({
      meta: entryMeta(meta),
      bytes: await verifiedBytes(`hub entry ${meta.seq}`, meta, bytes),
    })));
  }

  append(meta: EntryMeta, bytes: Uint8Array): Promise<void> {
    return this.appendBatch([{ meta, bytes }]);
  }

  async appendBatch(entries: EntryWithBytes[]): Promise<void> {
    await checkAppendBatch(this, entries);
    const batch = entries.map(({ meta, bytes }) => ({ meta: entryMeta(meta), bytes }));
    const stored = await this.store.appendBatchExclusive(batch);
    if (stored < batch.length) throw new EntryExistsError(this.url, batch[stored]!.meta.seq, stored);
  }

  async appendStream(meta: EntryMeta, body: AsyncIterable<Uint8Array>): Promise<void> {
    const checked = await checkAppendStream(this, meta, body);
    if (!(await this.store.appendStreamExclusive(entryMeta(meta), checked))) throw new EntryExistsError(this.url, meta.seq, 0);
  }

  async latestSnapshot(atMost = Infinity): Promise<SnapshotMeta | null> {
    const found = await this.store.latestSnapshot(atMost);
    return found && snapshotMeta(found);
  }

  async readSnapshot(seq: number): Promise<{ meta: SnapshotMeta; body: AsyncIterable<Uint8Array> }> {
    const { meta, body } = await this.store.snapshot(seq);
    return { meta: snapshotMeta(meta), body: metered(verified(`hub snapshot ${seq}`, meta, body)) };
  }

  async writeSnapshot(meta: SnapshotMeta, body: Body): Promise<void> {
    const checked = await checkSnapshot(this, meta, metered(asStream(body)));
    if (!(await this.store.writeSnapshotExclusive(snapshotMeta(meta), checked))) throw new SnapshotExistsError(this.url, meta.seq);
  }

  async prune(opts: PruneOptions): Promise<PruneReport | null> {
    return this.store.prune ? this.store.prune(opts) : null;
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
