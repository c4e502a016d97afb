// Every sync command runs holding the replica lock, after finishing an interrupted pull and
// rolling the base snapshot forward. (repo's Replica.withLock is synchronous; sync is not.)
import { rollForward } from '../repo/base.ts';
import { acquireLock } from '../repo/lock.ts';
import type { Replica } from '../repo/replica.ts';
import { recoverPendingPull, type Assumption } from './recover.ts';

export async function withSyncLock<T>(replica: Replica, fn: () => Promise<T>, assume?: Assumption): Promise<T> {
  const lock = acquireLock(replica.paths.lock);
  try {
    recoverPendingPull(replica.paths, assume);
    rollForward(replica.paths);
    return await fn();
  } finally {
    lock.release();
  }
}
