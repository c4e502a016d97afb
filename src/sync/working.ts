// Uncommitted changes in the live database: a pull commits them first (or, asked not to,
// refuses), and checks again inside its transaction in case a program wrote in between.
import { SqlferryError, EXIT } from '../errors/index.ts';
import { commit } from '../repo/commit.ts';
import { withUncommittedDiff } from '../repo/diff.ts';
import { statLive, unchangedSince } from '../repo/fingerprint.ts';
import type { Replica } from '../repo/replica.ts';

/** Whether the live database differs from the base snapshot. Call holding the replica lock. */
export function isDirty(replica: Replica): boolean {
  if (unchangedSince(replica.paths, statLive(replica.paths), replica.lastSeq())) return false;
  return withUncommittedDiff(replica.paths, (diff) => diff.schema.statements.length > 0 || !diff.changes().next().done);
}

export async function commitWorkingChanges(replica: Replica, opts: { commit?: boolean; message?: string }): Promise<void> {
  // Finish an interrupted pull before anything reads the log or the base snapshot.
  const dirty = await replica.withLockAsync(async () => isDirty(replica));
  if (!dirty) return;
  if (opts.commit === false) {
    throw new SqlferryError('UNCOMMITTED_CHANGES', `${replica.paths.db} has uncommitted changes`, {
      exitCode: EXIT.failure,
      hint: 'commit them first (sqlferry commit), or leave out --no-commit to let sync commit them',
    });
  }
  commit(replica, { message: opts.message ?? '' });
}
