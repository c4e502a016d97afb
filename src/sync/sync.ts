// `sync`: commit, pull, push — retried while other replicas keep pushing in between, or while
// the hub's store is briefly unavailable, for a bounded time. Made for cron: one run at a time
// per replica (sync.lock), quiet when all is well. A fleet whose cron fires in the same second
// all gets through: every rejected round means another replica's push landed, so retrying
// makes progress, and the randomised back-off spreads the racers out.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SqlferryError, EXIT } from '../errors/index.ts';
import type { Remote } from '../hub/remote.ts';
import { acquireLock, type ReplicaLock } from '../repo/lock.ts';
import type { Replica } from '../repo/replica.ts';
import type { ConflictRecord } from '../repo/conflicts/conflict-store.ts';
import { positionOf } from './hub-state.ts';
import { pull, type PullOptions } from './pull.ts';
import type { SnapshotOutcome } from './hub-snapshot.ts';

export interface SyncOptions extends PullOptions {
  /** Pull-and-push rounds before giving up when others keep pushing first (default: as many as `retryForSeconds` allows). */
  attempts?: number;
  /** Keep retrying for this long, from the start of the sync, before giving up (default 300 s). */
  retryForSeconds?: number;
  /** Told before each wait to retry (the CLI prints it under -v). */
  onRetry?: (why: RetryReason, waitMs: number, attempt: number) => void;
  /** Wait a random time up to this many seconds first: a fleet whose cron fires in the same second spreads out. */
  jitterSeconds?: number;
}

export interface SyncResult {
  /** True when another sync was already running on this replica: cron overlap, nothing done. */
  skipped: boolean;
  pulled: number;
  /** Pulled entries that carried no content digest (written by an older sqlferry): not checked. */
  unchecked: number;
  pushed: number;
  head: number;
  attempts: number;
  conflicts: ConflictRecord[];
  snapshot: SnapshotOutcome;
}

/**
 * Why a sync round is run again: another replica pushed first, the hub's store answered
 * "unavailable, retry later", or the connection dropped mid-way (a round cut anywhere is safe
 * to run again: an append that landed unseen is recognised as this replica's own).
 */
export type RetryReason = 'pushed-first' | 'store-unavailable' | 'connection-lost';

/** An overlapping cron run is normal and skipped quietly; one that holds the lock this long needs a human. */
const STUCK_AFTER_MS = 30 * 60_000;
const MAX_BACKOFF_MS = 5_000;
const DEFAULT_RETRY_FOR_SECONDS = 300;

function takeSyncLock(replica: Replica): ReplicaLock | null {
  try {
    return acquireLock(join(replica.paths.dir, 'sync.lock'));
  } catch (err) {
    if (!(err instanceof SqlferryError) || err.code !== 'REPLICA_LOCKED') throw err;
    const heldMs = Number(err.data.heldMs ?? 0);
    if (heldMs < STUCK_AFTER_MS) return null;
    throw new SqlferryError('SYNC_STUCK', `another sync (pid ${String(err.data.pid)}) has held this replica for ${Math.round(heldMs / 60_000)} minutes`, {
      data: err.data,
      exitCode: EXIT.locked,
      hint: 'see what that process is doing; if it hangs, stop it and sync again',
    });
  }
}

export async function sync(replica: Replica, remote: Remote, opts: SyncOptions): Promise<SyncResult> {
  if (opts.jitterSeconds) await sleep(Math.floor(Math.random() * opts.jitterSeconds * 1000));
  const lock = takeSyncLock(replica);
  if (lock === null) return { skipped: true, pulled: 0, unchecked: 0, pushed: 0, head: 0, attempts: 0, conflicts: [], snapshot: { skipped: 'not-due' } };
  try {
    const deadline = Date.now() + (opts.retryForSeconds ?? DEFAULT_RETRY_FOR_SECONDS) * 1000;
    const conflicts: ConflictRecord[] = [];
    let pulled = 0;
    let unchecked = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        const p = await pull(replica, remote, opts);
        pulled += p.pulled;
        unchecked += p.unchecked;
        conflicts.push(...p.conflicts);
        if (nothingToPush(replica, p.head)) {
          return { skipped: false, pulled, unchecked, pushed: 0, head: p.head, attempts: attempt, conflicts, snapshot: { skipped: 'not-due' } };
        }
        // Imported only now: a sync with nothing to push never loads the push's code.
        const { push } = await import('./push.ts');
        const pushed = await push(replica, remote, { progress: opts.progress });
        return { skipped: false, pulled, unchecked, pushed: pushed.pushed, head: pushed.head, attempts: attempt, conflicts, snapshot: pushed.snapshot };
      } catch (err) {
        const reason = retryReason(err);
        if (reason === null || attempt >= (opts.attempts ?? Infinity)) throw err;
        const waitMs = backoffMs(reason, err as SqlferryError, attempt);
        if (Date.now() + waitMs > deadline) throw err;
        opts.onRetry?.(reason, waitMs, attempt);
        await sleep(waitMs);
      }
    }
  } finally {
    lock.release();
  }
}

/**
 * The pull left this replica at the hub's head, as the pull read it, with no commit of its own
 * after it: a push would only ask the hub for its head again (a round trip on a network hub).
 * An entry another replica pushes meanwhile is for the next sync, as if it came a moment later.
 */
function nothingToPush(replica: Replica, head: number): boolean {
  const pos = positionOf(replica);
  return pos.hubTip !== null && pos.hubSeq === head && replica.seqsAfter(head).length === 0;
}

function retryReason(err: unknown): RetryReason | null {
  if (!(err instanceof SqlferryError)) return null;
  if (err.code === 'PUSH_REJECTED' && err.data.reason === 'pull-first') return 'pushed-first';
  if (err.code === 'HUB_STORE_UNAVAILABLE') return 'store-unavailable';
  if (err.code === 'HUB_CONNECTION_LOST') return 'connection-lost';
  return null;
}

/**
 * Someone pushed between our pull and our push: wait a random time within a window that
 * doubles each round (full jitter), so pushers racing for the same number spread out. A store
 * that asked for a pause (Retry-After) gets at least that; a dropped connection, a second.
 */
function backoffMs(reason: RetryReason, err: SqlferryError, attempt: number): number {
  const jitter = Math.floor(Math.random() * Math.min(MAX_BACKOFF_MS, 50 * 2 ** attempt));
  if (reason === 'pushed-first') return jitter;
  const asked = reason === 'store-unavailable' ? Number(err.data.retryAfter) : NaN;
  return (Number.isFinite(asked) && asked > 0 ? Math.min(asked, 60) * 1000 : 1000) + jitter;
}
