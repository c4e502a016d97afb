// A hub behind `sqlferry serve`, spoken to over HTTP(S) (protocol in src/hub/wire.ts). The server
// checks what it stores; this side checks what it reads, so damage anywhere is caught. The hub's
// info never changes, so it is asked once per remote; batches go in one request each to a server
// that speaks them (protocol 2), entry by entry to an older one. The info's answer carries the
// hub's head (wire.ts): a pull meeting the hub asks once, not twice.
import type { BatchLimits, Body, EntryMeta, EntryWithBytes, HubInfo, Remote, SnapshotMeta } from '../../hub/remote.ts';
import { asStream, collect, verified, verifiedBytes } from '../../hub/checksum.ts';
import { parseHubInfo } from '../../hub/meta.ts';
import { SqlferryError } from '../../errors/index.ts';
import { HubHttpClient } from './client.ts';
import { BATCH_PROTOCOL, META_LENGTH_HEADER, frameHead, parseMetaLength, readFrame, wireEntryMeta, wireSnapshotMeta } from '../../hub/wire.ts';
import { BatchFormatError, batchFrames, readBatchFrames } from '../../hub/wire-batch.ts';
import { leadingWithin } from '../../hub/batch.ts';
import { encodedBody } from './encoding.ts';
import { EntryExistsError } from '../../hub/errors.ts';
import { streamedAbove } from '../../shared/pieces.ts';

export class HttpRemote implements Remote {
  readonly url: string;
  private readonly http: HubHttpClient;
  private known: Promise<{ info: HubInfo; head: number | undefined }> | undefined;

  constructor(url: string) {
    this.url = url;
    this.http = new HubHttpClient(url);
  }

  async info(): Promise<HubInfo> {
    return (await this.infoAnswer()).info;
  }

  async head(): Promise<number> {
    return this.headIn(await this.get('reading the head', 'head'), 'reading the head');
  }

  /** The head sent with the info when this call is the one that asked for it; else (the info known already, or a server whose info lacks it) a request of its own. */
  async infoAndHead(): Promise<{ info: HubInfo; head: number }> {
    const asking = this.known === undefined;
    const { info, head } = await this.infoAnswer();
    return { info, head: asking && head !== undefined ? head : await this.head() };
  }

  async list(after: number, limit?: number): Promise<EntryMeta[]> {
    const answer = await this.get('listing entries', 'entries', { after, limit });
    if (!Array.isArray(answer)) throw this.badAnswer('listing entries');
    return answer.map((m) => wireEntryMeta(JSON.stringify(m), `${this.url}/entries`));
  }

  async read(seq: number): Promise<{ meta: EntryMeta; body: AsyncIterable<Uint8Array> }> {
    const { meta, rest } = await this.getFramed(`reading entry ${seq}`, `entries/${seq}`);
    const checked = wireEntryMeta(meta, `${this.url}/entries/${seq}`);
    return { meta: checked, body: verified(`hub entry ${seq}`, checked, rest) };
  }

  async readBatch(after: number, limits: BatchLimits): Promise<EntryWithBytes[]> {
    if (!(await this.speaksBatches())) return this.readOneByOne(after, limits);
    const during = `reading entries after ${after}`;
    const res = await this.http.request(during, 'log', { query: { after, limit: limits.limit, maxBytes: limits.maxBytes } });
    const entries: EntryWithBytes[] = [];
    // No more than was asked for: a hub that keeps sending (more entries, or larger ones) would
    // otherwise fill this process's memory before any check could refuse it. The first entry may
    // pass maxBytes alone (the contract), but not the size above which entries travel streamed.
    let left = Math.max(limits.maxBytes, streamedAbove());
    try {
      for await (const { meta, bytes } of readBatchFrames(this.http.stream(during, res), `${this.url}/log`, { entryBytes: left, tooLarge: () => this.badAnswer(during) })) {
        left -= bytes.length;
        if (left < 0 || entries.length === limits.limit) throw this.badAnswer(during);
        entries.push({ meta, bytes: await verifiedBytes(`hub entry ${meta.seq}`, meta, bytes) });
      }
    } catch (err) {
      throw err instanceof BatchFormatError ? this.badAnswer(during) : err;
    }
    return entries;
  }

  append(meta: EntryMeta, bytes: Uint8Array): Promise<void> {
    return this.appendBatch([{ meta, bytes }]);
  }

  async appendBatch(entries: EntryWithBytes[]): Promise<void> {
    if (entries.length === 0) return;
    if (entries.length === 1 || !(await this.speaksBatches())) return this.appendOneByOne(entries);
    const during = `appending entries ${entries[0]!.meta.seq}..${entries.at(-1)!.meta.seq}`;
    const { body, headers } = await encodedBody(Buffer.concat(batchFrames(entries)));
    const res = await this.http.request(during, 'log', { method: 'PUT', body, headers: { ...headers, 'content-type': 'application/octet-stream' } });
    await this.http.json(during, res);
  }

  /** One framed request whose bytes stream (no zstd: the body is not held to be compressed). */
  async appendStream(meta: EntryMeta, body: AsyncIterable<Uint8Array>): Promise<void> {
    const head = frameHead(meta);
    const framed = async function* () {
      yield head;
      yield* body;
    };
    await this.put(`appending entry ${meta.seq}`, `entries/${meta.seq}`, head.length, framed());
  }

  async latestSnapshot(atMost?: number): Promise<SnapshotMeta | null> {
    const answer = await this.get('finding the latest snapshot', 'snapshots/latest', { atMost });
    return answer === null ? null : wireSnapshotMeta(JSON.stringify(answer), `${this.url}/snapshots/latest`);
  }

  async readSnapshot(seq: number): Promise<{ meta: SnapshotMeta; body: AsyncIterable<Uint8Array> }> {
    const { meta, rest } = await this.getFramed(`reading snapshot ${seq}`, `snapshots/${seq}`);
    const checked = wireSnapshotMeta(meta, `${this.url}/snapshots/${seq}`);
    return { meta: checked, body: verified(`hub snapshot ${seq}`, checked, rest) };
  }

  async writeSnapshot(meta: SnapshotMeta, body: Body): Promise<void> {
    const head = frameHead(meta);
    const framed = async function* () {
      yield head;
      yield* asStream(body);
    };
    await this.put(`writing snapshot ${meta.seq}`, `snapshots/${meta.seq}`, head.length, framed());
  }

  async close(): Promise<void> {}

  private infoAnswer(): Promise<{ info: HubInfo; head: number | undefined }> {
    this.known ??= this.get('reading the hub info', 'info').then((answer) => {
      const info = parseHubInfo(JSON.stringify(answer), `${this.url}/info`);
      return { info, head: (answer as { head?: unknown }).head === undefined ? undefined : this.headIn(answer, 'reading the hub info') };
    });
    this.known.catch(() => (this.known = undefined)); // asked again next time
    return this.known;
  }

  private headIn(answer: unknown, during: string): number {
    const head = (answer as { head?: unknown }).head;
    if (!Number.isSafeInteger(head) || (head as number) < 0) throw this.badAnswer(during);
    return head as number;
  }

  private async get(during: string, path: string, query?: Record<string, number | undefined>): Promise<unknown> {
    const res = await this.http.request(during, path, { query });
    return this.http.json(during, res);
  }

  private async getFramed(during: string, path: string): Promise<{ meta: string; rest: AsyncIterable<Uint8Array> }> {
    const res = await this.http.request(during, path);
    const length = parseMetaLength(res.header(META_LENGTH_HEADER), 1 << 20);
    if (length === undefined) throw this.badAnswer(during);
    return readFrame(this.http.stream(during, res), length).catch((err) => {
      throw err instanceof SqlferryError ? err : this.badAnswer(during);
    });
  }

  private async put(during: string, path: string, metaLength: number, body: Uint8Array | AsyncIterable<Uint8Array>): Promise<void> {
    // A server of protocol 2 takes zstd bodies; a stream (a snapshot) goes as it is.
    const packed = body instanceof Uint8Array && this.http.protocol >= BATCH_PROTOCOL ? await encodedBody(body) : { body, headers: {} };
    const res = await this.http.request(during, path, { method: 'PUT', headers: { ...packed.headers, [META_LENGTH_HEADER]: String(metaLength) }, body: packed.body });
    await this.http.json(during, res);
  }

  private async speaksBatches(): Promise<boolean> {
    if (this.http.protocol === 0) await this.info();
    return this.http.protocol >= BATCH_PROTOCOL;
  }

  /** An older server: the entries listed, then read one request each. */
  private async readOneByOne(after: number, limits: BatchLimits): Promise<EntryWithBytes[]> {
    const metas = leadingWithin(await this.list(after, limits.limit), limits.maxBytes);
    return Promise.all(metas.map(async (m) => {
      const { meta, body } = await this.read(m.seq);
      return { meta, bytes: await collect(body) };
    }));
  }

  /** One request per entry, as the contract's batch would store them: a prefix, the first taken number named. */
  private async appendOneByOne(entries: EntryWithBytes[]): Promise<void> {
    for (const [stored, { meta, bytes }] of entries.entries()) {
      const head = frameHead(meta);
      try {
        await this.put(`appending entry ${meta.seq}`, `entries/${meta.seq}`, head.length, Buffer.concat([head, bytes]));
      } catch (err) {
        if (stored > 0 && (err as SqlferryError).code === 'HUB_ENTRY_EXISTS') throw new EntryExistsError(this.url, meta.seq, stored);
        throw err;
      }
    }
  }

  private badAnswer(during: string): SqlferryError {
    return new SqlferryError('HUB_BAD_ANSWER', `${this.url} sent an answer sqlferry does not understand while ${during}`, { data: { url: this.url } });
  }
}
