// The HTTP hub protocol, both sides: src/server/ answers it, src/remote/http/ speaks it.
//
//   GET  /REPO/info                     HubInfo and "head": N      PUT: create the hub (201)
//   GET  /REPO/head                     {"head": N}
//   GET  /REPO/entries?after=N&limit=M  EntryMeta[]
//   GET  /REPO/entries/N                framed: metadata JSON, then the bytes   PUT: append (201)
//   GET  /REPO/log?after=N&limit=M&maxBytes=B  a batch of entries with their bytes (wire-batch.ts)
//                                                                    PUT: append a batch (201, {"head": N})
//   GET  /REPO/snapshots/latest?atMost=N  SnapshotMeta | null
//   GET  /REPO/snapshots/N              framed                                  PUT: write (201)
//
// A framed body is the metadata JSON (its length in the Sqlferry-Meta-Length header) followed by
// the raw bytes, so metadata of any size travels with its bytes in one streamed request.
// Every answer carries Sqlferry-Hub-Protocol: a URL whose answers lack it is not a hub server.
// Version 2 added /REPO/log; a client meeting a version 1 server goes entry by entry.
// The info's "head" (the head when it was answered) saves a no-op sync its second request; a
// client ignores fields it does not know, and asks /REPO/head of a server whose info lacks it.
// Errors are {"error": {code, message, hint, data, exitCode}} with the status below.
import type { EntryMeta, SnapshotMeta } from './remote.ts';
import { entryMeta, parseEntryMeta, parseSnapshotMeta, snapshotMeta } from './meta.ts';

export const PROTOCOL_HEADER = 'sqlferry-hub-protocol';
export const PROTOCOL_VERSION = '2';
/** The first protocol version with batches (/REPO/log). */
export const BATCH_PROTOCOL = 2;
export const META_LENGTH_HEADER = 'sqlferry-meta-length';

export interface WireError {
  code: string;
  message: string;
  hint?: string;
  data?: Record<string, unknown>;
  exitCode?: number;
}

const STATUS: Record<string, number> = {
  HUB_NOT_FOUND: 404,
  HUB_ENTRY_NOT_FOUND: 404,
  HUB_ROUTE_NOT_FOUND: 404,
  HUB_ENTRY_EXISTS: 409,
  HUB_SNAPSHOT_EXISTS: 409,
  HUB_SEQ_GAP: 409,
  HUB_EXISTS: 409,
  HUB_DIR_NOT_EMPTY: 409,
  HUB_TOKEN_MISSING: 401,
  HUB_TOKEN_INVALID: 401,
  HUB_READ_ONLY: 403,
  HUB_TOKEN_EXPIRED: 401,
  HUB_TOKEN_NOT_FOR_HUB: 403,
  HUB_TABLE_NOT_ALLOWED: 403,
  HUB_STORE_UNAVAILABLE: 503,
  HUB_BODY_TOO_LARGE: 413,
  HUB_BAD_REQUEST: 400,
  HUB_APPEND_REFUSED: 422,
  HUB_SNAPSHOT_REFUSED: 422,
  HUB_METHOD_NOT_ALLOWED: 405,
};

/** The status for an error code; anything unexpected is the server's problem (500). */
export function statusFor(code: string): number {
  return STATUS[code] ?? 500;
}

/** The framed body: metadata JSON bytes, then the payload. */
export function frameHead(meta: object): Buffer {
  return Buffer.from(JSON.stringify(meta));
}

/**
 * Splits a framed body: reads exactly `metaLength` bytes of metadata, then hands on the rest as a
 * stream (the bytes already read past the metadata first). Never buffers more than one chunk.
 */
export async function readFrame(body: AsyncIterable<Uint8Array>, metaLength: number): Promise<{ meta: string; rest: AsyncIterable<Uint8Array> }> {
  const it = body[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let have = 0;
  while (have < metaLength) {
    const next = await it.next();
    if (next.done) throw new Error(`the body ended inside its metadata (${have} of ${metaLength} bytes)`);
    head.push(next.value);
    have += next.value.byteLength;
  }
  const all = Buffer.concat(head);
  const extra = all.subarray(metaLength);
  async function* rest(): AsyncGenerator<Uint8Array> {
    if (extra.length > 0) yield extra;
    for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
  }
  return { meta: all.subarray(0, metaLength).toString('utf8'), rest: rest() };
}

export function parseMetaLength(raw: string | null | undefined, limit: number): number | undefined {
  if (raw == null || !/^\d{1,9}$/.test(raw)) return undefined;
  const n = Number(raw);
  return n > 0 && n <= limit ? n : undefined;
}

export function wireEntryMeta(text: string, where: string): EntryMeta {
  return entryMeta(parseEntryMeta(text, where));
}

export function wireSnapshotMeta(text: string, where: string): SnapshotMeta {
  return snapshotMeta(parseSnapshotMeta(text, where));
}
