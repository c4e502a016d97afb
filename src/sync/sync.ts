// `sync`: commit, pull, push — retried a few times when another replica pushes in between.
// Made for cron: one run at a time per replica (sync.lock), quiet when all is well.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SqlferryError } from '../errors/index.ts';
import type { Remote } from '../hub/remote.ts';
import { acquireLock } from '../repo/lock.ts';
import type { Replica } from '../repo/replica.ts';
import type { ConflictRecord } from '../repo/conflict-store.ts';
import { pull, type PullOptions } from './pull.ts';
import { push } from './push.ts';

export interface SyncOptions extends PullOptions {
  /** Pull-and-push rounds before giving up when others keep pushing first (default 5). */
  attempts?: number;
}

export interface SyncResult {
  pulled: number;
  pushed: number;
  head: number;
  attempts: number;
  conflicts: ConflictRecord[];
}

export async function sync(replica: Replica, remote: Remote, opts: SyncOptions): Promise<SyncResult> {
  const lock = acquireLock(join(replica.paths.dir, 'sync.lock'));
  try {
    const attempts = opts.attempts ?? 5;
    const conflicts: ConflictRecord[] = [];
    let pulled = 0;
    for (let attempt = 1; ; attempt++) {
      const p = await pull(replica, remote, opts);
      pulled += p.pulled;
      conflicts.push(...p.conflicts);
      try {
        const pushed = await push(replica, remote);
        return { pulled, pushed: pushed.pushed, head: pushed.head, attempts: attempt, conflicts };
      } catch (err) {
        if (!(err instanceof SqlferryError) || err.code !== 'PUSH_REJECTED' || attempt >= attempts) throw err;
      }
      // Someone pushed between our pull and our push: back off a little, at random, and go again.
      await sleep(Math.floor(Math.random() * 50 * attempt));
    }
  } finally {
    lock.release();
  }
}
