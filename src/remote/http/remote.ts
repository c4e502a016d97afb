// A hub behind `sqlferry serve`, spoken to over HTTP(S) (protocol in src/hub/wire.ts). The server
// checks what it stores; this side checks what it reads, so damage anywhere is caught.
import type { Body, EntryMeta, HubInfo, Remote, SnapshotMeta } from '../../hub/remote.ts';
import { asStream, verified } from '../../hub/checksum.ts';
import { parseHubInfo } from '../../hub/meta.ts';
import { SqlferryError } from '../../errors/index.ts';
import { HubHttpClient } from './client.ts';
import { META_LENGTH_HEADER, frameHead, parseMetaLength, readFrame, wireEntryMeta, wireSnapshotMeta } from '../../hub/wire.ts';

export class HttpRemote implements Remote {
  readonly url: string;
  private readonly http: HubHttpClient;

  constructor(url: string) {
    this.url = url;
    this.http = new HubHttpClient(url);
  }

  async info(): Promise<HubInfo> {
    return parseHubInfo(JSON.stringify(await this.get('reading the hub info', 'info')), `${this.url}/info`);
  }

  async head(): Promise<number> {
    const answer = (await this.get('reading the head', 'head')) as { head?: unknown };
    if (!Number.isSafeInteger(answer.head)) throw this.badAnswer('reading the head');
    return answer.head as number;
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

  async append(meta: EntryMeta, bytes: Uint8Array): Promise<void> {
    const head = frameHead(meta);
    await this.put(`appending entry ${meta.seq}`, `entries/${meta.seq}`, head.length, Buffer.concat([head, bytes]));
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

  private async get(during: string, path: string, query?: Record<string, number | undefined>): Promise<unknown> {
    const { res, abort } = await this.http.request(during, path, { query });
    return this.http.json(during, res, abort);
  }

  private async getFramed(during: string, path: string): Promise<{ meta: string; rest: AsyncIterable<Uint8Array> }> {
    const { res, abort } = await this.http.request(during, path);
    const length = parseMetaLength(res.headers.get(META_LENGTH_HEADER), 1 << 20);
    if (length === undefined) throw this.badAnswer(during);
    return readFrame(this.http.stream(during, res, abort), length).catch((err) => {
      throw err instanceof SqlferryError ? err : this.badAnswer(during);
    });
  }

  private async put(during: string, path: string, metaLength: number, body: Uint8Array | AsyncIterable<Uint8Array>): Promise<void> {
    const { res, abort } = await this.http.request(during, path, { method: 'PUT', headers: { [META_LENGTH_HEADER]: String(metaLength) }, body });
    await this.http.json(during, res, abort);
  }

  private badAnswer(during: string): SqlferryError {
    return new SqlferryError('HUB_BAD_ANSWER', `${this.url} sent an answer sqlferry does not understand while ${during}`, { data: { url: this.url } });
  }
}
