// Finishing (or discarding) a pull that stopped between the live COMMIT and the end of the
// sidecar update. Every sync command calls this first, holding the replica lock. Each phase
// is idempotent and recorded, so a crash during recovery is recovered the same way.
import type { DatabaseSync } from 'node:sqlite';
import { invertChangeset } from '../changeset/index.ts';
import { SqlferryError, EXIT } from '../errors/index.ts';
import { applyChecked, withApplyTransaction } from './apply.ts';
import { openBase, rollForward } from './base.ts';
import { writeState } from './config.ts';
import { forgetFingerprint } from './fingerprint.ts';
import { linkEntries, readEntry, removeEntriesAfter } from './log.ts';
import type { SidecarPaths } from './sidecar.ts';
import { markSeq, readSeq } from './snapshot.ts';
import { openDatabase } from './sqlite.ts';
import { installSnapshot } from './base-from-live.ts';
import { ConflictStore } from './conflict-store.ts';
import { clearPending, pendingBytesFile, readPending, schemaVersion, updatePhase, type PendingPull } from './pending-pull.ts';

export type Assumption = 'committed' | 'rolled-back';

/** Whether the live COMMIT of `pending` happened, from the schema_version it recorded. */
function outcomeOf(paths: SidecarPaths, pending: PendingPull, assume: Assumption | undefined): Assumption {
  const db = openDatabase(paths.db, { readOnly: true });
  let now: number;
  try {
    now = schemaVersion(db);
  } finally {
    db.close();
  }
  if (now === pending.schemaVersion.after) return 'committed';
  if (now === pending.schemaVersion.before) return 'rolled-back';
  if (assume) return assume;
  throw new SqlferryError('PULL_RECOVERY_UNCERTAIN', `an interrupted pull cannot tell whether it reached ${paths.db}: another program changed the schema since`, {
    data: { schemaVersion: now, ...pending.schemaVersion },
    exitCode: EXIT.failure,
    hint: 'check whether the rows the hub sent are in the database, then run `sqlferry pull --recover committed` or `--recover rolled-back`',
  });
}

/** Call holding the replica lock. Returns true when a pull was finished. */
export function recoverPendingPull(paths: SidecarPaths, assume?: Assumption): boolean {
  const pending = readPending(paths);
  if (!pending) return false;
  if (pending.phase === 'prepared' && outcomeOf(paths, pending, assume) === 'rolled-back') {
    clearPending(paths);
    return false;
  }
  finishPull(paths, pending);
  return true;
}

/** The sidecar half of a pull whose live transaction committed. */
export function finishPull(paths: SidecarPaths, pending: PendingPull): void {
  finishLog(paths, pending);
  finishBase(paths, pending);
}

/** The first part of finishPull: the log and state.json as the pull left them (phase 'logged'). */
export function finishLog(paths: SidecarPaths, pending: PendingPull): void {
  if (pending.phase === 'prepared') updatePhase(paths, pending, 'committed');
  if (pending.phase === 'committed' || pending.phase === 'rewound') {
    // Also when already rewound: a command that rolled base.db forward from the old log in
    // between would have moved it again. Rewinding is idempotent.
    rewindBase(paths, pending);
    if (pending.phase === 'committed') updatePhase(paths, pending, 'rewound');
    forgetFingerprint(paths);
    removeEntriesAfter(paths, pending.oldHubSeq);
    linkEntries(paths, pending.entries.map((meta) => ({ meta, bytesFile: pendingBytesFile(paths, meta.seq) })));
    writeState(paths.state, pending.state);
    updatePhase(paths, pending, 'logged');
  }
}

/** The rest, once the log is written: base.db, the conflict store, the pending record gone. */
export function finishBase(paths: SidecarPaths, pending: PendingPull): void {
  // A verified copy of the live database (base-snapshot.ts) replaces re-applying the entries.
  if (!installSnapshot(paths)) rollForward(paths);
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

/** base.db back to the last hub entry: the local commits being replaced are undone, newest first. */
function rewindBase(paths: SidecarPaths, pending: PendingPull): void {
  const base: DatabaseSync = openBase(paths);
  try {
    if (readSeq(base, paths.base) === pending.oldHubSeq) return; // nothing to undo: no write, no fsync
    withApplyTransaction(base, paths.base, () => {
      const at = readSeq(base, paths.base);
      for (let seq = at; seq > pending.oldHubSeq; seq--) applyChecked(base, invertChangeset(readEntry(paths, seq).bytes));
      markSeq(base, pending.oldHubSeq);
    });
  } finally {
    base.close();
  }
}
