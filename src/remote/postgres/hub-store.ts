// One hub in a PostgreSQL database. An append is one transaction: the metadata row first, guarded
// by the (hub, seq) primary key — of racing writers on any number of servers exactly one inserts
// it, the others wait for its commit and get a unique violation — then the bytes in chunk rows.
// Snapshots stream in the same way, a chunk at a time, and bytes are read back a chunk at a time,
// so memory stays bounded whatever the size. Nothing is visible before COMMIT. A batch is one
// transaction too: its metadata rows claimed in order (the first number taken ends it), then the
// chunks of the claimed entries in one statement; a batch is read in two queries.
import type pg from 'pg';
import type { Body, EntryMeta, EntryWithBytes, HubInfo, SnapshotMeta } from '../../hub/remote.ts';
import type { HubStore } from '../../hub/store.ts';
import { entryNotFound, hubExists, hubNotFound } from '../../hub/errors.ts';
import { parseEntryMeta, parseHubInfo, parseSnapshotMeta } from '../../hub/meta.ts';
import { asStream, collect } from '../../hub/checksum.ts';
import { leadingWithin } from '../../hub/batch.ts';
import type { PgDatabase } from './database.ts';

/** Bytes per chunk row: large enough for few round trips, small enough to hold one in memory. */
const CHUNK = 1 << 20;
const UNIQUE_VIOLATION = '23505';

type What = 'e' | 's';

export class PgHubStore implements HubStore {
  readonly url: string;
  private readonly db: PgDatabase;
  private readonly name: string;
  /** Whether close() ends the pool: a server's hubs share the store's. */
  private readonly ownsDb: boolean;

  constructor(url: string, db: PgDatabase, name: string, ownsDb: boolean) {
    this.url = url;
    this.db = db;
    this.name = name;
    this.ownsDb = ownsDb;
  }

  /** Makes this hub; HUB_EXISTS when there is one of that name (of two racing creators, one wins). */
  async create(info: HubInfo): Promise<void> {
    const made = await this.db.transaction(this.url, async (client) => {
      const r = await client.query('INSERT INTO sqlferry_hubs (name, info) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [this.name, JSON.stringify(info, null, 2)]);
      return r.rowCount === 1;
    });
    if (!made) throw hubExists(this.url);
  }

  async info(): Promise<HubInfo> {
    const [row] = await this.db.query<{ info: string }>(this.url, 'SELECT info FROM sqlferry_hubs WHERE name = $1', [this.name]);
    if (!row) throw hubNotFound(this.url);
    return parseHubInfo(row.info, `${this.url} (sqlferry_hubs)`);
  }

  async head(): Promise<number> {
    const [row] = await this.db.query<{ hub: boolean; head: string | null }>(this.url,
      'SELECT EXISTS (SELECT 1 FROM sqlferry_hubs WHERE name = $1) AS hub, (SELECT max(seq) FROM sqlferry_entries WHERE hub = $1) AS head', [this.name]);
    if (!row?.hub) throw hubNotFound(this.url);
    return Number(row.head ?? 0);
  }

  async entries(after: number, limit: number): Promise<EntryMeta[]> {
    const rows = await this.db.query<{ meta: string }>(this.url,
      'SELECT meta FROM sqlferry_entries WHERE hub = $1 AND seq > $2 ORDER BY seq LIMIT $3', [this.name, after, Number.isFinite(limit) ? limit : null]);
    if (rows.length === 0) await this.head(); // no entries, or no hub: say which
    return rows.map((r) => parseEntryMeta(r.meta, `${this.url} (sqlferry_entries)`));
  }

  async entry(seq: number): Promise<{ meta: EntryMeta; body: AsyncIterable<Uint8Array> }> {
    const [row] = await this.db.query<{ meta: string }>(this.url, 'SELECT meta FROM sqlferry_entries WHERE hub = $1 AND seq = $2', [this.name, seq]);
    if (!row) throw entryNotFound(this.url, seq);
    const meta = parseEntryMeta(row.meta, `${this.url} entry ${seq}`);
    return { meta, body: this.chunks('e', seq, meta.size) };
  }

  async entryBatch(after: number, limit: number, maxBytes: number): Promise<EntryWithBytes[]> {
    const metas = leadingWithin(await this.entries(after, limit), maxBytes);
    if (metas.length === 0) return [];
    const rows = await this.db.query<{ seq: string; data: Buffer }>(this.url,
      "SELECT seq, data FROM sqlferry_chunks WHERE hub = $1 AND what = 'e' AND seq > $2 AND seq <= $3 ORDER BY seq, n", [this.name, after, metas.at(-1)!.seq]);
    const chunks = new Map<number, Buffer[]>();
    for (const row of rows) {
      const seq = Number(row.seq);
      chunks.set(seq, [...(chunks.get(seq) ?? []), row.data]);
    }
    return metas.map((meta) => ({ meta, bytes: Buffer.concat(chunks.get(meta.seq) ?? []) }));
  }

  async appendExclusive(meta: EntryMeta, bytes: Uint8Array): Promise<boolean> {
    return (await this.appendBatchExclusive([{ meta, bytes }])) === 1;
  }

  /** Held whole (one transaction stores the entry): streaming into chunk rows is not done yet. */
  async appendStreamExclusive(meta: EntryMeta, body: AsyncIterable<Uint8Array>): Promise<boolean> {
    return this.appendExclusive(meta, await collect(body));
  }

  async appendBatchExclusive(batch: EntryWithBytes[]): Promise<number> {
    let stored = 0;
    await this.db.transaction(this.url, async (client) => {
      // ON CONFLICT waits for a racing writer's transaction and stores nothing if it committed:
      // exclusive as a unique violation is, without aborting the entries claimed before.
      for (const { meta } of batch) {
        const r = await client.query('INSERT INTO sqlferry_entries (hub, seq, meta) VALUES ($1, $2, $3) ON CONFLICT (hub, seq) DO NOTHING', [this.name, meta.seq, JSON.stringify(meta)])
          .catch((err) => Promise.reject((err as { code?: unknown }).code === '23503' ? hubNotFound(this.url) : err));
        if (r.rowCount !== 1) break;
        stored++;
      }
      const seqs: number[] = [];
      const ns: number[] = [];
      const data: Buffer[] = [];
      for (const { meta, bytes } of batch.slice(0, stored)) {
        for (let n = 0; n * CHUNK < bytes.byteLength; n++) {
          seqs.push(meta.seq);
          ns.push(n);
          data.push(Buffer.from(bytes.buffer, bytes.byteOffset + n * CHUNK, Math.min(CHUNK, bytes.byteLength - n * CHUNK)));
        }
      }
      if (seqs.length > 0) {
        await client.query("INSERT INTO sqlferry_chunks (hub, what, seq, n, data) SELECT $1, 'e', * FROM unnest($2::bigint[], $3::int[], $4::bytea[])", [this.name, seqs, ns, data]);
      }
      return stored > 0;
    });
    return stored;
  }

  async latestSnapshot(atMost: number): Promise<SnapshotMeta | null> {
    const [row] = await this.db.query<{ meta: string }>(this.url,
      'SELECT meta FROM sqlferry_snapshots WHERE hub = $1 AND ($2::bigint IS NULL OR seq <= $2) ORDER BY seq DESC LIMIT 1', [this.name, Number.isFinite(atMost) ? atMost : null]);
    if (!row) {
      await this.info(); // none yet, or no hub at all: say which
      return null;
    }
    return parseSnapshotMeta(row.meta, `${this.url} (sqlferry_snapshots)`);
  }

  async snapshot(seq: number): Promise<{ meta: SnapshotMeta; body: AsyncIterable<Uint8Array> }> {
    const [row] = await this.db.query<{ meta: string }>(this.url, 'SELECT meta FROM sqlferry_snapshots WHERE hub = $1 AND seq = $2', [this.name, seq]);
    if (!row) throw entryNotFound(this.url, seq, 'snapshot');
    const meta = parseSnapshotMeta(row.meta, `${this.url} snapshot ${seq}`);
    return { meta, body: this.chunks('s', seq, meta.size) };
  }

  writeSnapshotExclusive(meta: SnapshotMeta, body: Body): Promise<boolean> {
    return this.db.transaction(this.url, async (client) => {
      if (!(await this.claim(client, 'sqlferry_snapshots', meta.seq, meta))) return false;
      let held: Buffer[] = [];
      let heldBytes = 0;
      let n = 0;
      for await (const chunk of asStream(body)) {
        held.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        heldBytes += chunk.byteLength;
        while (heldBytes >= CHUNK) {
          const all = Buffer.concat(held);
          await this.insertChunk(client, 's', meta.seq, n++, all.subarray(0, CHUNK));
          held = [all.subarray(CHUNK)];
          heldBytes -= CHUNK;
        }
      }
      if (heldBytes > 0) await this.insertChunk(client, 's', meta.seq, n, Buffer.concat(held));
      return true;
    });
  }

  async close(): Promise<void> {
    if (this.ownsDb) await this.db.end();
  }

  /** Inserts the metadata row, the commit point; false when another writer has that number. */
  private async claim(client: pg.PoolClient, table: string, seq: number, meta: object): Promise<boolean> {
    try {
      await client.query(`INSERT INTO ${table} (hub, seq, meta) VALUES ($1, $2, $3)`, [this.name, seq, JSON.stringify(meta)]);
      return true;
    } catch (err) {
      if ((err as { code?: unknown }).code === UNIQUE_VIOLATION) return false;
      if ((err as { code?: unknown }).code === '23503') throw hubNotFound(this.url); // no such hub to reference
      throw err;
    }
  }

  private async insertChunk(client: pg.PoolClient, what: What, seq: number, n: number, data: Uint8Array): Promise<void> {
    await client.query('INSERT INTO sqlferry_chunks (hub, what, seq, n, data) VALUES ($1, $2, $3, $4, $5)', [this.name, what, seq, n, data]);
  }

  /** The stored bytes, one chunk row at a time; a missing row ends them short (the reader's size check says so). */
  private async *chunks(what: What, seq: number, size: number): AsyncGenerator<Uint8Array> {
    for (let n = 0; n * CHUNK < size; n++) {
      const [row] = await this.db.query<{ data: Buffer }>(this.url, 'SELECT data FROM sqlferry_chunks WHERE hub = $1 AND what = $2 AND seq = $3 AND n = $4', [this.name, what, seq, n]);
      if (!row) return;
      yield row.data;
    }
  }
}
