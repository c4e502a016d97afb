// Finishing (or discarding) a pull that stopped between the live COMMIT and the end of the
// sidecar update. Every sync command calls this first, holding the replica lock. Each step
// is idempotent and recognisable afterwards, so a crash during recovery is recovered the same way.
import type { DatabaseSync } from 'node:sqlite';
import { SqlferryError, EXIT } from '../../errors/index.ts';
import { withApplyTransaction } from '../apply/apply.ts';
import { undoEntry } from '../schema/undo-schema.ts';
import { fsyncPaths, fsyncPathsConcurrently, writeFileRenamed } from '../atomic.ts';
import { openBaseAsIs } from '../base/base.ts';
import { forgetFingerprint } from '../pages/fingerprint.ts';
import { readState } from '../config.ts';
import { linkEntries, logHolds, readEntryOrFile, removeEntriesAfter, type LogEntryMeta } from '../log/log.ts';
import { entryPaths, type SidecarPaths } from '../sidecar.ts';
import { markSeq, readSeq } from '../base/snapshot.ts';
import { openDatabase, schemaVersion } from '../sqlite.ts';
import { ConflictStore } from '../conflicts/conflict-store.ts';
import { clearPending, entryBytesIntact, markTransaction, pendingBytesFile, readPending, updatePhase, type PendingPull } from './pending-pull.ts';

export type Assumption = 'committed' | 'rolled-back';

/**
 * Whether the live COMMIT of `pending` happened: certainly, once any of its entries is in the
 * log (they are linked only after it); else from the schema_version it recorded. undefined:
 * cannot tell.
 */
function observedOutcome(paths: SidecarPaths, pending: PendingPull): Assumption | undefined {
  if (pending.entries.some((meta) => logHolds(paths, meta))) return 'committed';
  const now = liveSchemaVersion(paths);
  return now === pending.schemaVersion.after ? 'committed' : now === pending.schemaVersion.before ? 'rolled-back' : undefined;
}

function liveSchemaVersion(paths: SidecarPaths): number {
  // Read-write: the killed pull may have left a hot journal, which only a writer can roll back.
  const db = openDatabase(paths.db);
  try {
    return schemaVersion(db);
  } finally {
    db.close();
  }
}

function outcomeOf(paths: SidecarPaths, pending: PendingPull, assume: Assumption | undefined): Assumption {
  const observed = observedOutcome(paths, pending);
  if (observed) return observed;
  // Taken for committed, a pull that rolled back would have the next commit undo the hub's changes
  // here and push that. schema_version only grows: below the COMMIT's, the COMMIT did not happen.
  const now = assume === 'committed' ? liveSchemaVersion(paths) : undefined;
  if (now !== undefined && now < pending.schemaVersion.after) {
    throw new SqlferryError('PULL_RECOVERY_CONTRADICTED', `an interrupted pull cannot have reached ${paths.db}: its schema_version is ${now}, below the ${pending.schemaVersion.after} the pull's COMMIT left`, {
      data: { ...pending.schemaVersion, now },
      exitCode: EXIT.failure,
      hint: 'run `sqlferry pull --recover rolled-back`',
    });
  }
  if (assume) return assume;
  throw new SqlferryError('PULL_RECOVERY_UNCERTAIN', `an interrupted pull cannot tell whether it reached ${paths.db}: another program changed the schema since`, {
    data: pending.schemaVersion,
    exitCode: EXIT.failure,
    hint: 'check whether the rows the hub sent are in the database, then run `sqlferry pull --recover committed` or `--recover rolled-back`',
  });
}

/** Call holding the replica lock. Returns true when a pull was finished. */
export function recoverPendingPull(paths: SidecarPaths, assume?: Assumption): boolean {
  const pending = readPending(paths);
  if (!pending) return false;
  if (logWritten(paths, pending)) {
    // Written, but a killed pull may not have made it durable yet: it must be, before the record goes.
    fsyncPaths([...pending.entries.flatMap((meta) => Object.values(entryPaths(paths, meta.seq))), paths.state, paths.log, paths.dir]);
  } else {
    if (pending.phase === 'prepared' && outcomeOf(paths, pending, assume) === 'rolled-back') {
      clearPending(paths);
      return false;
    }
    const lost = lostOf(paths, pending);
    if (lost.length > 0) throw entriesLost(lost);
    fsyncPaths(writeLog(paths, pending));
  }
  finishPull(paths, pending);
  return true;
}

/**
 * Entries an interrupted, possibly committed pull needs whose bytes in pull/ are missing or
 * fail their sha256 (a damaged disk, a hand-edited folder): hub entries can be fetched again
 * by seq and checked against the recorded sha256 (fetch.ts, restoreLostEntries), never guessed.
 * Empty when there is no such pull, or it is known to have rolled back. Call holding the lock.
 */
export function lostEntries(paths: SidecarPaths): LogEntryMeta[] {
  const pending = readPending(paths);
  if (!pending || logWritten(paths, pending)) return [];
  if (pending.phase === 'prepared' && observedOutcome(paths, pending) === 'rolled-back') return [];
  return lostOf(paths, pending);
}

function lostOf(paths: SidecarPaths, pending: PendingPull): LogEntryMeta[] {
  return pending.entries.filter((meta) => !entryBytesIntact(paths, meta));
}

function entriesLost(lost: LogEntryMeta[]): SqlferryError {
  const seqs = lost.map((m) => m.seq).join(', ');
  return new SqlferryError('PULL_ENTRIES_LOST', `an interrupted pull's copy of hub entries ${seqs} is missing or damaged; the next \`sqlferry pull\` fetches them again from the hub and finishes it`, {
    data: { seqs: lost.map((m) => m.seq) },
    exitCode: EXIT.failure,
    hint: 'run sqlferry pull (or sync) with the hub reachable',
  });
}

/**
 * The log and state.json as a committed pull leaves them, written without fsync; returns the
 * files to fsync, with the folders. Until all are fsynced a crash redoes all of it (the pending
 * record is cleared only after); then recovery finds it done (logWritten).
 */
function writeLog(paths: SidecarPaths, pending: PendingPull, mayNeedRewind = true): string[] {
  if (mayNeedRewind) {
    if (!baseForwarded(paths, pending)) {
      // Also when already rewound: a command that rolled base.db forward from the old log in
      // between would have moved it again. Rewinding is idempotent. Rewinding before the phase
      // is recorded is safe: base.db below the log is what openBase repairs.
      rewindBase(paths, pending);
      // Recorded (durably) before the log changes: from here on, recovery never asks schema_version.
      if (pending.phase !== 'rewound') updatePhase(paths, pending, 'rewound');
    }
    removeEntriesAfter(paths, pending.oldHubSeq);
  }
  forgetFingerprint(paths);
  const files = linkEntries(paths, pending.entries.map((meta) => ({ meta, bytesFile: pendingBytesFile(paths, meta.seq) })));
  // The hub position changes; the rest (genesisSeq of a replica cloned from a snapshot) stays.
  writeFileRenamed(paths.state, JSON.stringify({ ...readState(paths.state), ...pending.state }, null, 2) + '\n');
  return [...files, paths.state, paths.log, paths.dir];
}

/** Whether the log and state.json already are what `pending` leaves: only its clean-up is left. */
function logWritten(paths: SidecarPaths, pending: PendingPull): boolean {
  const state = readState(paths.state);
  return state.hubId === pending.state.hubId && state.hubSeq === pending.state.hubSeq && state.hubTip === pending.state.hubTip && pending.entries.every((meta) => logHolds(paths, meta));
}

/**
 * Applied inside a transaction on base.db at the old log's end (oldLast), the changes that take
 * it to the new log's end: given by a pull whose rebased local commit is the local changes as
 * they were, on top of the hub's entries (src/sync/rebase/large-local.ts).
 */
export type BaseForward = (base: DatabaseSync) => void;

/**
 * A pull's own sidecar update right after its COMMIT: base.db moved forward (`forward`) or
 * rewound, then writeLog's files fsynced all at once.
 */
export async function finishLog(paths: SidecarPaths, pending: PendingPull, forward?: BaseForward): Promise<void> {
  // base.db is at oldLast, or behind the hub entries (an earlier pull left it there): untouched since the pull began.
  const replaced = pending.oldLast > pending.oldHubSeq;
  if (replaced && forward) moveBaseForward(paths, pending, forward);
  await fsyncPathsConcurrently(writeLog(paths, pending, replaced));
}

/**
 * base.db from oldLast to the new log's end, instead of rewinding it over the local commits
 * (which the next commit would then take again). Nothing reads base.db before a pending pull
 * is finished, but while the old log is still there base.db's seq alone cannot tell the two
 * apart (the new log's end may be oldLast's number): the phase and base.db's schema_version
 * before, recorded durably first, and schema_version moved inside the transaction, tell them
 * apart (baseForwarded). A move that fails for any reason (a conflict: the changes do not
 * apply as they did to the live database) leaves base.db as it was, and it is rewound.
 */
function moveBaseForward(paths: SidecarPaths, pending: PendingPull, forward: BaseForward): void {
  const base = openBaseAsIs(paths);
  try {
    if (readSeq(base, paths.base) !== pending.oldLast) return; // behind the local commits: the rewind has less to undo
    pending.baseSchemaVersion = schemaVersion(base);
    updatePhase(paths, pending, 'forwarding');
    try {
      withApplyTransaction(base, paths.base, () => {
        forward(base);
        markTransaction(base);
        markSeq(base, newLogEnd(pending));
      });
    } catch {
      // rolled back: writeLog rewinds it
    }
  } finally {
    base.close();
  }
}

/** Whether base.db was moved forward to the new log's end (moveBaseForward's transaction committed). */
function baseForwarded(paths: SidecarPaths, pending: PendingPull): boolean {
  if (pending.phase !== 'forwarding') return false;
  const base = openBaseAsIs(paths);
  try {
    return readSeq(base, paths.base) === newLogEnd(pending) && schemaVersion(base) !== pending.baseSchemaVersion;
  } finally {
    base.close();
  }
}

const newLogEnd = (pending: PendingPull) => pending.entries.at(-1)!.seq;

/**
 * The rest, once the log is written: the conflict store, the pending record gone. base.db
 * stays behind the pulled entries until something reads it (base.ts), unless it was moved forward.
 */
export function finishPull(paths: SidecarPaths, pending: PendingPull): void {
  if (pending.conflicts.length > 0) {
    const store = new ConflictStore(paths.conflicts);
    try {
      store.addAll(pending.id, pending.conflicts);
    } finally {
      store.close();
    }
  }
  clearPending(paths);
}

/** base.db back to the last hub entry: the local commits being replaced (data and schema) are undone, newest first. */
function rewindBase(paths: SidecarPaths, pending: PendingPull): void {
  const base: DatabaseSync = openBaseAsIs(paths);
  try {
    // At or behind the last hub entry, it holds none of the local commits: no write, no fsync.
    if (readSeq(base, paths.base) <= pending.oldHubSeq) return;
    withApplyTransaction(base, paths.base, () => {
      const at = readSeq(base, paths.base);
      for (let seq = at; seq > pending.oldHubSeq; seq--) undoEntry(base, readEntryOrFile(paths, seq));
      markSeq(base, pending.oldHubSeq);
    });
  } finally {
    base.close();
  }
}
