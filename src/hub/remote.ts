// The whole contract a hub transport implements. Rebase and conflicts never live here:
// a Remote stores and returns numbered entries and snapshots, nothing more.
import type { ChangesetKind } from '../changeset/types.ts';
import type { PruneOptions, PruneReport } from './folder/prune.ts';

/** `sqlferry-hub.json`: who the hub is. Created once by `init --bare`, never changed. */
export interface HubInfo {
  format: 'sqlferry-hub';
  version: 1;
  /** Random id; a replica remembers it and refuses a hub with another one (unrelated history). */
  hubId: string;
  /** What entries hold: a patchset hub stores smaller entries (every replica applies them to the state they were made on). */
  kind: ChangesetKind;
  created: string;
}

/** Metadata of hub entry `seq`, stored beside its bytes and never mixed into them. */
export interface EntryMeta {
  seq: number;
  /** sha256 of entry seq-1's bytes, or of the genesis snapshot for seq 1: the chain a reader checks. */
  parent: string;
  /** The replica that pushed it. */
  replica: string;
  time: string;
  message: string;
  /** SQL statements (schema changes) replayed before the bytes, in order. */
  schema: string[];
  kind: ChangesetKind;
  sha256: string;
  size: number;
  /**
   * The content digest of every table with content after this entry (src/changeset/digest.ts):
   * table name → hex sha256 of its lattice. Each replica recomputes it from the bytes and
   * refuses the entry when it differs; absent on entries written before sqlferry kept it.
   */
  digest?: Record<string, string>;
}

/** A full database as of entry `seq` (seq 0 is the genesis: the database the first pusher started from). */
export interface SnapshotMeta {
  seq: number;
  sha256: string;
  size: number;
  replica: string;
  time: string;
}

export type Body = AsyncIterable<Uint8Array> | Uint8Array;

/** An entry with its bytes: what a batch carries. */
export interface EntryWithBytes {
  meta: EntryMeta;
  bytes: Uint8Array;
}

/** How much one `readBatch` returns: at most `limit` entries whose bytes add up to at most `maxBytes`, and always the first. */
export interface BatchLimits {
  limit: number;
  maxBytes: number;
}

/**
 * A hub's storage. Rules every implementation keeps (test/remote/conformance.ts checks them):
 * - Entries are numbered 1..head without gaps; an entry, once readable, never changes.
 * - `append(meta, bytes)` stores entry `meta.seq` only if `meta.seq == head + 1` and no entry
 *   `meta.seq` exists; otherwise it throws `EntryExistsError` (code HUB_ENTRY_EXISTS) and stores
 *   nothing. Of two racing appends for one number exactly one wins.
 * - An append is atomic: a crash at any moment leaves either the whole entry or nothing that
 *   `head`, `list` or `read` reports.
 * - `read(seq)` yields bytes whose sha256 and size are checked against the metadata as they
 *   stream; a mismatch throws `EntryCorruptError` (code HUB_ENTRY_CORRUPT) before the stream
 *   ends, so a consumer never finishes reading bad bytes. A missing entry throws code HUB_ENTRY_NOT_FOUND.
 * - Snapshots follow the same rules: `writeSnapshot` is exclusive per seq (HUB_SNAPSHOT_EXISTS),
 *   atomic, and `readSnapshot` verifies its checksum.
 * - `appendBatch(entries)` appends consecutive entries (head+1, head+2, …, each the parent of the
 *   next) in one call and one durable step (one round of fsyncs, one transaction). Every entry
 *   passes the hub's checks before anything is stored (a refusal stores nothing). They are then
 *   stored in order, each exclusively as `append` stores one: when a racing writer took number k
 *   first, the entries before k stay stored, none from k on is, and HUB_ENTRY_EXISTS names k
 *   (`data.stored`: how many of the batch were stored). A crash leaves a prefix of the batch,
 *   each entry whole. `append(meta, bytes)` is a batch of one.
 * - `readBatch(after, limits)` returns entries after `after` in order with their bytes, at least
 *   one when any exists, each verified against its metadata (HUB_ENTRY_CORRUPT) before it is returned.
 * - What is stored passes the hub's checks first (`checkAppend` in ./check-append.ts,
 *   `checkSnapshot` in ./check-snapshot.ts): a refusal (HUB_APPEND_REFUSED, HUB_SEQ_GAP,
 *   HUB_SNAPSHOT_REFUSED) stores nothing.
 * - Methods are safe to call concurrently from several processes; `close` is idempotent.
 */
export interface Remote {
  readonly url: string;
  /** The hub's identity; throws HUB_NOT_FOUND when the URL holds no hub. */
  info(): Promise<HubInfo>;
  /** The number of the last entry; 0 for an empty hub. */
  head(): Promise<number>;
  /**
   * Optional: `info()` and a `head()` read with it, in one round trip where the transport can
   * (an HTTP hub sends its head with its info); `infoAndHead` in src/sync/hub-state.ts asks for
   * each where it cannot.
   */
  infoAndHead?(): Promise<{ info: HubInfo; head: number }>;
  /** Metadata of entries after `after`, in order, at most `limit` of them (default: all). */
  list(after: number, limit?: number): Promise<EntryMeta[]>;
  /** The bytes of entry `seq`, checksum-verified while they stream. */
  read(seq: number): Promise<{ meta: EntryMeta; body: AsyncIterable<Uint8Array> }>;
  /** Entries after `after` with their bytes, verified: one round trip on a network hub. */
  readBatch(after: number, limits: BatchLimits): Promise<EntryWithBytes[]>;
  append(meta: EntryMeta, bytes: Uint8Array): Promise<void>;
  appendBatch(entries: EntryWithBytes[]): Promise<void>;
  /**
   * `append` for an entry whose bytes stream (a large one: src/shared/pieces.ts), so neither side
   * holds it whole: the same checks and rules, the bytes' checked as they pass, a refusal or a
   * broken stream storing nothing.
   */
  appendStream(meta: EntryMeta, body: AsyncIterable<Uint8Array>): Promise<void>;
  /** The snapshot with the greatest seq not above `atMost` (default: any), or null. */
  latestSnapshot(atMost?: number): Promise<SnapshotMeta | null>;
  readSnapshot(seq: number): Promise<{ meta: SnapshotMeta; body: AsyncIterable<Uint8Array> }>;
  writeSnapshot(meta: SnapshotMeta, body: Body): Promise<void>;
  /**
   * Optional: remove what killed writers left in the hub's storage (src/hub/folder/prune.ts);
   * null where its store leaves nothing behind. Absent over HTTP: the server's owner prunes.
   */
  prune?(opts: PruneOptions): Promise<PruneReport | null>;
  close(): Promise<void>;
}

/** Each transport (src/remote/<scheme>/) exports one of these; src/remote/registry.ts picks it by URL scheme. */
export interface RemoteFactory {
  /** Connect to an existing hub (or a URL where one may be created). */
  open(url: string): Promise<Remote>;
  /** Create an empty hub at the URL; throws HUB_EXISTS when one is there. */
  create(url: string, info: HubInfo): Promise<Remote>;
}
