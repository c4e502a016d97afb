// `push`: fast-forward only. The replica must have every hub entry; its local commits are
// appended at head+1…, in batches (one round trip and one durable step each on the hub), each
// entry a race that exactly one pusher wins; the replica's position is saved once per batch. The first push
// to an empty hub uploads the replica's starting snapshot (genesis) so that clones can start;
// from a replica of another hub, its current content (start-hub.ts).
import { SqlferryError, EXIT } from '../errors/index.ts';
import { createReadStream } from 'node:fs';
import { sha256, verified } from '../hub/checksum.ts';
import { entryPaths } from '../repo/sidecar.ts';
import type { LogEntry, LogEntryMeta } from '../repo/log/log.ts';
import { metered, pieceBytes, streamed } from '../shared/pieces.ts';
import type { EntryWithBytes, HubInfo, Remote } from '../hub/remote.ts';
import { BATCH_BYTES, BATCH_ENTRIES } from '../hub/batch.ts';
import type { Replica } from '../repo/replica.ts';
import { meetHub, positionOf, savePosition, unrelatedHub, type HubPosition } from './hub-state.ts';
import { hubBytes } from './hub-bytes.ts';
import { patchsetFileBytes, patchsetFileChecksums } from '../repo/log/entry-patchset.ts';
import { hubMeta } from './entry-meta.ts';
import { uploadSnapshotFile, uploadSnapshotIfDue, type SnapshotOutcome } from './hub-snapshot.ts';
import { tracked, type Progress } from './progress.ts';
import { ContentClaims, refuseIfDamaged } from './content-claims.ts';
import { startAnotherHub, type HubStart } from './start-hub.ts';

export interface PushResult {
  pushed: number;
  /** Bytes of the commits pushed (as the hub stores them). */
  bytes: number;
  /** Bytes of the starting snapshot this push uploaded to an empty hub, or null. */
  started: number | null;
  /** This replica's history belonged to another hub, and this push started the empty hub from its content (start-hub.ts). */
  restarted: HubStart | null;
  head: number;
  /** Whether this push also left a snapshot on the hub for fast clones (hub-snapshot.ts). */
  snapshot: SnapshotOutcome;
}

export function pullFirst(url: string, head: number, hubSeq: number): SqlferryError {
  return new SqlferryError('PUSH_REJECTED', `the hub at ${url} has entries this replica does not have yet (hub at ${head}, replica at ${hubSeq}): pull first`, {
    data: { url, head, hubSeq, reason: 'pull-first' },
    exitCode: EXIT.rejected,
    hint: 'run sqlferry pull (or sqlferry sync, which pulls and pushes)',
  });
}

/** The hub has fewer entries than this replica saw there: restored from an older backup, or replaced. */
export function hubBehind(url: string, head: number, hubSeq: number): SqlferryError {
  return new SqlferryError('PUSH_REJECTED', `the hub at ${url} is behind this replica: it ends at entry ${head}, but this replica already had entry ${hubSeq} from it (was the hub restored from an older backup?)`, {
    data: { url, head, hubSeq, reason: 'hub-behind' },
    exitCode: EXIT.rejected,
    hint: `nothing was pushed; restore the hub from a backup that has entries up to ${hubSeq} (pulling cannot help: the hub lost them)`,
  });
}

export interface PushOptions {
  /** Told how the uploads go (the CLI shows it on a terminal). */
  progress?: Progress | undefined;
}

export async function push(replica: Replica, remote: Remote, opts: PushOptions = {}): Promise<PushResult> {
  return replica.withLockAsync(async () => {
    const reaching = remote.info(); // the connection opens while the first batch is read
    reaching.catch(() => {}); // awaited below, after the read's turns of the event loop
    const ahead = await readWhileConnecting(replica);
    const info = await reaching;
    const restarted = await startAnotherHub(replica, remote, info, opts.progress);
    if (restarted !== null) ahead.clear(); // the log was numbered again from 1
    let pos = await meetHub(replica, remote, info);
    const head = await remote.head();
    if (head < pos.hubSeq) throw hubBehind(remote.url, head, pos.hubSeq);
    if (head !== pos.hubSeq) throw pullFirst(remote.url, head, pos.hubSeq);
    let started = restarted?.size ?? null;
    if (pos.hubId === null) ({ pos, size: started } = await uploadGenesis(replica, remote, info, opts.progress));
    const local = replica.seqsAfter(pos.hubSeq);
    const checked = local.length > 0 && refuseIfDamaged(replica);
    const claims = new ContentClaims(replica, pos.hubSeq, !checked);
    // Counted per batch as it lands: the contract's append takes the bytes whole.
    const total = local.reduce((n, seq) => n + replica.meta(seq).size, 0);
    let bytes = 0;
    await tracked(opts.progress, `Pushing ${local.length} commit${local.length === 1 ? '' : 's'}`, total, 'bytes', async (advance) => {
      let batch: EntryWithBytes[] = [];
      let batchBytes = 0;
      const send = async () => {
        pos = await appendBatch(replica, remote, info, pos, batch);
        bytes += batchBytes;
        advance?.(batch.reduce((n, e) => n + replica.meta(e.meta.seq).size, 0));
        batch = [];
        batchBytes = 0;
      };
      for (const seq of local) {
        const parent = batch.at(-1)?.meta.sha256 ?? pos.hubTip!;
        const size = replica.meta(seq).size;
        if (streamed(size)) {
          if (batch.length > 0) await send();
          let stored: number;
          ({ pos, stored } = await appendStreamed(replica, remote, info, pos, seq, claims));
          bytes += stored;
          advance?.(size);
          continue;
        }
        const entry = fromLog(seq, entryPaths(replica.paths, seq).bytes, () => hubEntry(info, parent, seq, claims, replica.replicaId, ahead.get(seq) ?? replica.entry(seq)));
        ahead.delete(seq);
        if (batch.length > 0 && (batchBytes + entry.bytes.byteLength > BATCH_BYTES || batch.length === BATCH_ENTRIES)) await send();
        batch.push(entry);
        batchBytes += entry.bytes.byteLength;
      }
      if (batch.length > 0) await send();
    });
    claims.save();
    const snapshot: SnapshotOutcome = local.length > 0 ? await uploadSnapshotIfDue(replica, remote, pos.hubSeq, opts.progress) : { skipped: 'not-due' };
    return { pushed: local.length, bytes, started, restarted, head: pos.hubSeq, snapshot };
  });
}

async function uploadGenesis(replica: Replica, remote: Remote, info: HubInfo, progress: Progress | undefined): Promise<{ pos: HubPosition; size: number }> {
  let uploaded: { sha256: string; size: number };
  try {
    uploaded = await uploadSnapshotFile(remote, replica.paths.genesis, 0, replica.replicaId, progress, 'Uploading the starting snapshot');
  } catch (err) {
    // Another replica's first push won the race: this one's history is not the hub's.
    if ((err as SqlferryError).code === 'HUB_SNAPSHOT_EXISTS') throw unrelatedHub(remote.url);
    throw err;
  }
  const pos = { hubId: info.hubId, hubSeq: 0, hubTip: uploaded.sha256 };
  savePosition(replica, pos);
  return { pos, size: uploaded.size };
}

/**
 * The local commits a push most likely sends (those after the hub position this replica last
 * saw), read and checked while the connection to the hub opens, one per turn of the event loop
 * so that the handshake goes on between them: up to one batch, none held that is read a piece at
 * a time. One that fails to read is left to the push, which reads it again and says why in turn.
 */
async function readWhileConnecting(replica: Replica): Promise<Map<number, LogEntry>> {
  const read = new Map<number, LogEntry>();
  let bytes = 0;
  for (const seq of replica.seqsAfter(positionOf(replica).hubSeq)) {
    const size = replica.meta(seq).size;
    if (streamed(size) || bytes + size > BATCH_BYTES || read.size === BATCH_ENTRIES) break;
    await new Promise(setImmediate);
    try {
      read.set(seq, replica.entry(seq));
    } catch {
      break;
    }
    bytes += size;
  }
  return read;
}

/** Local commit `entry` as the hub stores it, as entry `seq` following `parent`. */
function hubEntry(info: HubInfo, parent: string, seq: number, claims: ContentClaims, replicaId: string, entry: LogEntry): EntryWithBytes {
  const bytes = hubBytes(entry.bytes, info.kind);
  // The log's bytes as they are (a changeset hub) were just checked against the log's sha256.
  const checksum = bytes === entry.bytes ? entry.meta.sha256 : sha256(bytes);
  return { meta: hubMeta(entry.meta, { seq, parent, replica: replicaId, kind: info.kind, sha256: checksum, size: bytes.length, digest: claims.after(entry) }), bytes };
}

/**
 * A large local commit (src/shared/pieces.ts) appended alone, its bytes streamed from the log file
 * (checked against the log's sha256 as they go) and its digest counted a piece at a time: never
 * held whole. A changeset hub stores a commit's bytes as they are, so the log's sha256 is the hub's;
 * a patchset hub's checksum and size are needed before the bytes go, so the log is converted
 * twice (hub-bytes.ts): first to count the patchset (and check the log), then to send it.
 */
async function appendStreamed(replica: Replica, remote: Remote, info: HubInfo, pos: HubPosition, seq: number, claims: ContentClaims): Promise<{ pos: HubPosition; stored: number }> {
  const local = replica.meta(seq);
  const file = entryPaths(replica.paths, seq).bytes;
  const stored = info.kind === 'changeset' ? local : patchsetOfLog(seq, local, file);
  const meta = hubMeta(local, { seq, parent: pos.hubTip!, replica: replica.replicaId, kind: info.kind, sha256: stored.sha256, size: stored.size, digest: claims.afterFile(local, file) });
  const body = info.kind === 'changeset' ? createReadStream(file, { highWaterMark: pieceBytes() }) : patchsetBytes(file);
  try {
    await remote.appendStream(meta, checkedLog(seq, file, stored, body));
  } catch (err) {
    if ((err as SqlferryError).code !== 'HUB_ENTRY_EXISTS') throw err;
    throw pullFirst(remote.url, seq, pos.hubSeq);
  }
  const next = { hubId: info.hubId, hubSeq: seq, hubTip: meta.sha256 };
  savePosition(replica, next);
  return { pos: next, stored: stored.size };
}

/** The patchset's checksum and size, once the log file proved to be what its metadata says. */
function patchsetOfLog(seq: number, meta: LogEntryMeta, file: string): { sha256: string; size: number } {
  const { log, patchset } = fromLog(seq, file, () => patchsetFileChecksums(file));
  if (log.sha256 !== meta.sha256 || log.size !== meta.size) throw logCorrupt(seq, file);
  return patchset;
}

async function* patchsetBytes(file: string): AsyncGenerator<Uint8Array> {
  yield* patchsetFileBytes(file);
}

/** The bytes made from the log file as they are read, LOG_CORRUPT before the end when they are not `expected` (the file changed). */
async function* checkedLog(seq: number, file: string, expected: { sha256: string; size: number }, body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    yield* verified(`log entry ${seq}`, expected, metered(body));
  } catch (err) {
    const code = (err as SqlferryError).code;
    if (code !== 'HUB_ENTRY_CORRUPT' && code !== 'CHANGESET_MALFORMED') throw err;
    throw logCorrupt(seq, file);
  }
}

/** What `read` makes of log entry `seq`; bytes that are no changeset (damaged before, or with, their checksum) are LOG_CORRUPT. */
function fromLog<T>(seq: number, file: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if ((err as SqlferryError).code === 'CHANGESET_MALFORMED') throw logCorrupt(seq, file);
    throw err;
  }
}

function logCorrupt(seq: number, file: string): SqlferryError {
  return new SqlferryError('LOG_CORRUPT', `log entry ${seq} does not match its checksum`, {
    data: { seq, path: file },
    exitCode: EXIT.corrupt,
    hint: 'the file was changed or damaged; restore the sidecar folder from a backup',
  });
}

/** Appends `batch` and saves the position once; a batch cut short by another pusher keeps what it stored. */
async function appendBatch(replica: Replica, remote: Remote, info: HubInfo, pos: HubPosition, batch: EntryWithBytes[]): Promise<HubPosition> {
  const at = (e: EntryWithBytes) => ({ hubId: info.hubId, hubSeq: e.meta.seq, hubTip: e.meta.sha256 });
  try {
    await remote.appendBatch(batch);
  } catch (err) {
    if ((err as SqlferryError).code !== 'HUB_ENTRY_EXISTS') throw err;
    const stored = Math.min(Number((err as SqlferryError).data.stored ?? 0), batch.length - 1);
    if (stored > 0) savePosition(replica, at(batch[stored - 1]!));
    throw pullFirst(remote.url, batch[stored]!.meta.seq, stored > 0 ? batch[stored - 1]!.meta.seq : pos.hubSeq);
  }
  const next = at(batch.at(-1)!);
  savePosition(replica, next);
  return next;
}
