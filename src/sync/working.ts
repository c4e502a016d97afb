// Uncommitted changes in the live database. A pull commits them first (or, asked not to,
// refuses), and then captures what an application wrote since from inside its own write
// transaction, where no other program can write: nothing slips in between the capture and
// the rebase, however busy the application is (docs/ARCHITECTURE.md, "Sync").
import { writeChangeset } from '../changeset/index.ts';
import { SqlferryError, EXIT } from '../errors/index.ts';
import { catchUpBase } from '../repo/base/base.ts';
import { commit } from '../repo/capture/commit.ts';
import { withUncommittedDiff } from '../repo/capture/diff.ts';
import { saveFingerprint, statLive, takeStamp, unchangedSince } from '../repo/pages/fingerprint.ts';
import { sha256 } from '../hub/checksum.ts';
import type { LogEntry } from '../repo/log/log.ts';
import type { Replica } from '../repo/replica.ts';

/**
 * Whether the live database differs from the base snapshot. Call holding the replica lock.
 * A comparison that finds nothing records the fingerprint, as commit and status do: the next
 * sync answers from a stat instead of comparing again (after an init, which may leave none,
 * every no-op sync compared every table; a clone records one itself). Not the page map: a replica that keeps one pays
 * for it at every pull (pages-after-pull.ts), which one that never commits should not.
 */
export function isDirty(replica: Replica): boolean {
  const paths = replica.paths;
  if (unchangedSince(paths, statLive(paths), replica.lastSeq())) return false;
  const stamp = takeStamp(paths); // before the read transaction, as commit takes it
  const cleanAt = withUncommittedDiff(paths, (diff) => {
    if (diff.schema.statements.length > 0 || !diff.changes().next().done) return undefined;
    return diff.baseSeq;
  });
  if (cleanAt === undefined) return true;
  saveFingerprint(paths, stamp, cleanAt);
  return false;
}

export async function commitWorkingChanges(replica: Replica, opts: { commit?: boolean; message?: string }): Promise<void> {
  // Finish an interrupted pull before anything reads the log or the base snapshot.
  const dirty = await replica.withLockAsync(async () => isDirty(replica));
  if (!dirty) return;
  if (opts.commit === false) throw uncommittedChanges(replica);
  commit(replica, { message: opts.message ?? '' });
}

/**
 * Before the pull's transaction, holding the replica lock: base.db brought to the log's end if
 * the database was written since, so that capturing inside the transaction, where the
 * application waits, does not also roll base.db forward.
 */
export function prepareCapture(replica: Replica): void {
  if (!unchangedSince(replica.paths, statLive(replica.paths), replica.lastSeq())) catchUpBase(replica.paths);
}

/**
 * What the live database holds beyond the log, as the entry a commit would write next — but
 * not written: the pull rebases it with the local commits, and it reaches the log only inside
 * the pull's new local commit, so a pull that rolls back leaves it uncommitted, as it was.
 * Call holding the replica lock, inside the pull's BEGIN IMMEDIATE and before it writes
 * anything: the capture reads on a connection of its own, which then sees exactly the
 * database the transaction sees, and no other program can commit until the pull does.
 */
export function captureWorking(replica: Replica, opts: { commit?: boolean; message?: string }): LogEntry | undefined {
  const paths = replica.paths;
  const last = replica.lastSeq();
  if (unchangedSince(paths, statLive(paths), last)) return undefined;
  const captured = withUncommittedDiff(paths, (diff) => {
    const bytes = writeChangeset('changeset', diff.changes());
    return bytes.byteLength === 0 && diff.schema.statements.length === 0 ? undefined : { bytes, schema: diff.schema.statements };
  });
  if (captured === undefined) return undefined;
  if (opts.commit === false) throw uncommittedChanges(replica);
  return {
    bytes: captured.bytes,
    meta: {
      seq: last + 1,
      parent: null, // never written: only its bytes and statements are rebased
      replicaId: replica.replicaId,
      time: new Date().toISOString(),
      message: opts.message ?? '',
      kind: 'changeset',
      schema: captured.schema,
      sha256: sha256(captured.bytes),
      size: captured.bytes.byteLength,
    },
  };
}

function uncommittedChanges(replica: Replica): SqlferryError {
  return new SqlferryError('UNCOMMITTED_CHANGES', `${replica.paths.db} has uncommitted changes`, {
    exitCode: EXIT.failure,
    hint: 'commit them first (sqlferry commit), or leave out --no-commit to let sync commit them',
  });
}
