// What a hub admits as a snapshot, checked for every transport as the bytes stream in: a
// number at or before the head (a clone starts from the latest one, so a snapshot beyond the
// head would hide the log), a SQLite database file, exactly the size and sha256 it claims.
// Whether its content is the log's state at that number is a replica's check (issue 11's
// content digest): the hub holds no database.
import { SqlferryError, EXIT } from '../errors/index.ts';
import { asStream, verified } from './checksum.ts';
import type { HubReader } from './check-append.ts';
import type { Body, SnapshotMeta } from './remote.ts';

/** The first bytes of every SQLite database file. */
export const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

export type SnapshotRefusal = 'beyond-head' | 'not-sqlite' | 'checksum';

export function snapshotRefused(url: string, seq: number, reason: SnapshotRefusal, why: string): SqlferryError {
  return new SqlferryError('HUB_SNAPSHOT_REFUSED', `the hub at ${url} refused snapshot ${seq}: ${why}`, {
    data: { url, seq, reason },
    exitCode: EXIT.rejected,
    hint: 'nothing was stored; a snapshot is a database file as of an entry the hub already has',
  });
}

/**
 * Throws HUB_SNAPSHOT_REFUSED now when `meta.seq` is beyond the head; otherwise returns the body
 * to store, which throws HUB_SNAPSHOT_REFUSED before it ends if the bytes are not what `meta` says.
 */
export async function checkSnapshot(hub: HubReader, meta: SnapshotMeta, body: Body): Promise<AsyncIterable<Uint8Array>> {
  const head = await hub.head();
  if (meta.seq > head) throw snapshotRefused(hub.url, meta.seq, 'beyond-head', `the hub's last entry is ${head}`);
  return admitted(hub.url, meta, body);
}

async function* admitted(url: string, meta: SnapshotMeta, body: Body): AsyncGenerator<Uint8Array> {
  const notSqlite = () => snapshotRefused(url, meta.seq, 'not-sqlite', 'it is not a SQLite database file');
  try {
    yield* verified(`snapshot ${meta.seq}`, meta, headerChecked(asStream(body), notSqlite));
  } catch (err) {
    if (!(err instanceof SqlferryError) || err.code !== 'HUB_ENTRY_CORRUPT') throw err;
    throw snapshotRefused(url, meta.seq, 'checksum', `its bytes do not match the size and sha256 its metadata gives (expected ${String(err.data.expected)}, got ${String(err.data.actual)})`);
  }
}

/** Passes the chunks on once the first 16 bytes are SQLite's header. */
async function* headerChecked(body: AsyncIterable<Uint8Array>, refuse: () => SqlferryError): AsyncGenerator<Uint8Array> {
  let seen = 0;
  for await (const chunk of body) {
    if (seen < SQLITE_HEADER.length) {
      const part = chunk.subarray(0, SQLITE_HEADER.length - seen);
      if (Buffer.compare(part, SQLITE_HEADER.subarray(seen, seen + part.length)) !== 0) throw refuse();
      seen += part.length;
    }
    yield chunk;
  }
  if (seen < SQLITE_HEADER.length) throw refuse();
}
