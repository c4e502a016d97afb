// `push`: fast-forward only. The replica must have every hub entry; its local commits are
// appended at head+1…, one by one, each a race that exactly one pusher wins. The first push
// to an empty hub uploads the replica's starting snapshot (genesis) so that clones can start;
// from a replica of another hub, its current content (start-hub.ts).
import { SqlferryError, EXIT } from '../errors/index.ts';
import { sha256 } from '../hub/checksum.ts';
import type { HubInfo, Remote } from '../hub/remote.ts';
import type { Replica } from '../repo/replica.ts';
import { genesisSha, meetHub, savePosition, type HubPosition } from './hub-state.ts';
import { hubBytes } from './hub-bytes.ts';
import { unrelatedHub } from './fetch.ts';
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
    const info = await remote.info();
    const restarted = await startAnotherHub(replica, remote, info, opts.progress);
    let pos = await meetHub(replica, remote, info);
    const head = await remote.head();
    if (head < pos.hubSeq) throw hubBehind(remote.url, head, pos.hubSeq);
    if (head !== pos.hubSeq) throw pullFirst(remote.url, head, pos.hubSeq);
    let started = restarted?.size ?? null;
    if (pos.hubId === null) ({ pos, size: started } = await uploadGenesis(replica, remote, info, opts.progress));
    const local = replica.seqsAfter(pos.hubSeq);
    if (local.length > 0) refuseIfDamaged(replica);
    const claims = new ContentClaims(replica, pos.hubSeq);
    // Counted per commit as it lands: the contract's append takes the bytes whole.
    const total = local.reduce((n, seq) => n + replica.meta(seq).size, 0);
    let bytes = 0;
    await tracked(opts.progress, `Pushing ${local.length} commit${local.length === 1 ? '' : 's'}`, total, 'bytes', async (advance) => {
      for (const seq of local) {
        let size: number;
        ({ pos, size } = await appendOne(replica, remote, info, pos, seq, claims));
        bytes += size;
        advance?.(replica.meta(seq).size);
      }
    });
    claims.save();
    const snapshot: SnapshotOutcome = local.length > 0 ? await uploadSnapshotIfDue(replica, remote, pos.hubSeq, opts.progress) : { skipped: 'not-due' };
    return { pushed: local.length, bytes, started, restarted, head: pos.hubSeq, snapshot };
  });
}

async function uploadGenesis(replica: Replica, remote: Remote, info: HubInfo, progress: Progress | undefined): Promise<{ pos: HubPosition; size: number }> {
  let size: number;
  try {
    size = await uploadSnapshotFile(remote, replica.paths.genesis, 0, replica.replicaId, progress, 'Uploading the starting snapshot');
  } catch (err) {
    // Another replica's first push won the race: this one's history is not the hub's.
    if ((err as SqlferryError).code === 'HUB_SNAPSHOT_EXISTS') throw unrelatedHub(remote.url);
    throw err;
  }
  const pos = { hubId: info.hubId, hubSeq: 0, hubTip: genesisSha(replica) };
  savePosition(replica, pos);
  return { pos, size };
}

async function appendOne(replica: Replica, remote: Remote, info: HubInfo, pos: HubPosition, seq: number, claims: ContentClaims): Promise<{ pos: HubPosition; size: number }> {
  const entry = replica.entry(seq);
  const bytes = hubBytes(entry.bytes, info.kind);
  const meta = {
    seq, parent: pos.hubTip!, replica: replica.replicaId, time: entry.meta.time, message: entry.meta.message,
    schema: entry.meta.schema, kind: info.kind, sha256: sha256(bytes), size: bytes.length, digest: claims.after(entry),
  };
  try {
    await remote.append(meta, bytes);
  } catch (err) {
    if ((err as SqlferryError).code === 'HUB_ENTRY_EXISTS') throw pullFirst(remote.url, seq, pos.hubSeq);
    throw err;
  }
  const next = { hubId: info.hubId, hubSeq: seq, hubTip: meta.sha256 };
  savePosition(replica, next);
  return { pos: next, size: bytes.length };
}
