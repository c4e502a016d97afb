// The pull's one transaction on the live database, like repo/apply/apply.ts's withApplyTransaction
// but for an async body (conflict handlers may be async): foreign keys off on our connection,
// triggers dropped and re-created inside the transaction (their effects are already in the
// changesets), COMMIT only if the body returns, ROLLBACK otherwise.
import type { DatabaseSync } from 'node:sqlite';
import { abandonSuspension, suspendTriggers } from '../repo/apply/apply.ts';
import { beginImmediate, rollbackQuietly, withSqliteErrors } from '../repo/sqlite.ts';

export interface LiveTransaction {
  db: DatabaseSync;
  /** Runs just before COMMIT, after triggers are back: the last moment to write the pending-pull marker. */
  beforeCommit(fn: () => void): void;
}

/**
 * `atBegin` runs right after BEGIN IMMEDIATE, before the transaction writes anything: from
 * then on no other program can commit, and a reader on another connection sees exactly what
 * the transaction sees. Its result is handed to `fn`.
 */
export async function withLiveTransaction<B, T>(db: DatabaseSync, path: string, atBegin: () => B, fn: (tx: LiveTransaction, begun: B) => Promise<T>): Promise<T> {
  db.exec('PRAGMA foreign_keys = OFF');
  beginImmediate(db, path);
  try {
    const begun = atBegin();
    const restoreTriggers = suspendTriggers(db);
    let last: (() => void) | undefined;
    const result = await fn({ db, beforeCommit: (f) => (last = f) }, begun);
    restoreTriggers();
    last?.();
    withSqliteErrors(path, () => db.exec('COMMIT'));
    return result;
  } catch (err) {
    rollbackQuietly(db);
    abandonSuspension(db);
    throw err;
  }
}
