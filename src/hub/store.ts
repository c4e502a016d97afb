// The storage seam under every hub: what a backend (a folder on disk or over SFTP, a PostgreSQL
// database) keeps and hands back, and nothing it decides. The hub's rules — the next number only,
// on the chain, checked bytes, checksums verified on read — are written once above it, in
// ./stored-hub.ts. test/remote/conformance.ts runs on every store through this interface alone.
import type { Body, EntryMeta, EntryWithBytes, HubInfo, SnapshotMeta } from './remote.ts';
import type { PruneOptions, PruneReport } from './folder/prune.ts';

/**
 * One hub's storage. Rules every implementation keeps:
 * - `appendExclusive` stores entry `meta.seq` only if no entry of that number exists, atomically
 *   (a crash leaves the whole entry or nothing visible) and exactly-one-wins between racing
 *   writers in any process on any machine; it returns false when the number was taken.
 * - `appendBatchExclusive` stores consecutive entries in order, each as `appendExclusive` would,
 *   stopping at the first number that was taken; it returns how many it stored. The batch is made
 *   durable in one step, and a crash leaves a prefix of it visible, each entry whole.
 * - Once visible, an entry never changes; entries are numbered 1..head without gaps (the rules
 *   above only ever append head + 1).
 * - Bytes come back as stored, unchecked: the caller verifies them against the metadata.
 * - `writeSnapshotExclusive` consumes `body` as it streams; if the body throws, nothing stays and
 *   the error is passed on.
 * - A store holding no hub answers `info` (and `head` of an empty log) with HUB_NOT_FOUND; a
 *   missing entry or snapshot is HUB_ENTRY_NOT_FOUND.
 */
export interface HubStore {
  /** How messages name the hub: its URL, or /NAME when a server holds it. */
  readonly url: string;
  info(): Promise<HubInfo>;
  /** The number of the last entry; 0 for an empty hub. */
  head(): Promise<number>;
  /** Metadata of entries after..min(head, after+limit), in order. */
  entries(after: number, limit: number): Promise<EntryMeta[]>;
  entry(seq: number): Promise<{ meta: EntryMeta; body: AsyncIterable<Uint8Array> }>;
  /** Entries after `after` with their bytes (unchecked), as `Remote.readBatch` chooses them (./batch.ts). */
  entryBatch(after: number, limit: number, maxBytes: number): Promise<EntryWithBytes[]>;
  appendExclusive(meta: EntryMeta, bytes: Uint8Array): Promise<boolean>;
  /** How many of `batch` were stored: a prefix, ending before the first number already taken. */
  appendBatchExclusive(batch: EntryWithBytes[]): Promise<number>;
  /** `appendExclusive` for bytes that stream in (a large entry); if the body throws, nothing stays and the error is passed on. */
  appendStreamExclusive(meta: EntryMeta, body: AsyncIterable<Uint8Array>): Promise<boolean>;
  /** The snapshot with the greatest seq not above `atMost`, or null. */
  latestSnapshot(atMost: number): Promise<SnapshotMeta | null>;
  snapshot(seq: number): Promise<{ meta: SnapshotMeta; body: AsyncIterable<Uint8Array> }>;
  writeSnapshotExclusive(meta: SnapshotMeta, body: Body): Promise<boolean>;
  /** Removes what killed writers left (folder/prune.ts); absent where a crash leaves nothing (a database). */
  prune?(opts: PruneOptions): Promise<PruneReport>;
  close(): Promise<void>;
}

/** A bearer token as a store keeps it: never the token itself, only its sha256 (`digest`). */
export interface TokenRecord {
  id: string;
  /** The one hub it opens, or null for every hub of the store. */
  hub: string | null;
  access: 'read' | 'write';
  /**
   * The only tables a read-write token may write (names as given; compared as SQLite compares
   * names), or null for every table. Null for a read-only token, and on records kept before
   * tokens had it.
   */
  tables: string[] | null;
  /** ISO time after which it is refused, or null. */
  expires: string | null;
  created: string;
}

/** Tokens kept in a store: every server reads them per request, so a revocation needs no restart. */
export interface TokenStore {
  add(record: TokenRecord, digest: string): Promise<void>;
  list(): Promise<TokenRecord[]>;
  /** False when no token has that id. */
  revoke(id: string): Promise<boolean>;
  find(digest: string): Promise<TokenRecord | undefined>;
}

/** Where hubs are kept, each under a name: what `sqlferry serve` serves and `sqlferry token` manages. */
export interface Store {
  readonly url: string;
  /** The hub called `name` (it may not exist: its methods then say HUB_NOT_FOUND). */
  hub(name: string): HubStore;
  /** Creates the hub `name`; HUB_EXISTS when there is one. */
  createHub(name: string, info: HubInfo): Promise<HubStore>;
  readonly tokens: TokenStore;
  close(): Promise<void>;
}
