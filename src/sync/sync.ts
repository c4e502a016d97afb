// `sync`: commit, pull, push — retried a few times when another replica pushes in between.
// Made for cron: one run at a time per replica (sync.lock), quiet when all is well.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SqlferryError, EXIT } from '../errors/index.ts';
import type { Remote } from '../hub/remote.ts';
import { acquireLock, type ReplicaLock } from '../repo/lock.ts';
import type { Replica } from '../repo/replica.ts';
import type { ConflictRecord } from '../repo/conflict-store.ts';
import { pull, type PullOptions } from './pull.ts';
import { push } from './push.ts';
import type { SnapshotOutcome } from './hub-snapshot.ts';

export interface SyncOptions extends PullOptions {
  /** Pull-and-push rounds before giving up when others keep pushing first (default 5). */
  attempts?: number;
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

/** An overlapping cron run is normal and skipped quietly; one that holds the lock this long needs a human. */
const STUCK_AFTER_MS = 30 * 60_000;
const MAX_BACKOFF_MS = 5_000;

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
    const attempts = opts.attempts ?? 5;
    const conflicts: ConflictRecord[] = [];
    let pulled = 0;
    let unchecked = 0;
    for (let attempt = 1; ; attempt++) {
      const p = await pull(replica, remote, opts);
      pulled += p.pulled;
      unchecked += p.unchecked;
      conflicts.push(...p.conflicts);
      try {
        const pushed = await push(replica, remote, { progress: opts.progress });
        return { skipped: false, pulled, unchecked, pushed: pushed.pushed, head: pushed.head, attempts: attempt, conflicts, snapshot: pushed.snapshot };
      } catch (err) {
        if (!(err instanceof SqlferryError) || err.code !== 'PUSH_REJECTED' || attempt >= attempts) throw err;
      }
      // Someone pushed between our pull and our push: back off at random within a window that
      // doubles each round (full jitter), so pushers racing for the same number spread out.
      await sleep(Math.floor(Math.random() * Math.min(MAX_BACKOFF_MS, 50 * 2 ** attempt)));
    }
  } finally {
    lock.release();
  }
}
