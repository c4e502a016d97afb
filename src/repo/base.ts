// The base snapshot advances only by applying log entries to it, each together with its
// sequence number in one transaction. A crash after a log entry is written but before the
// base took it leaves base seq < last log seq; rollForward finishes the job.
import type { DatabaseSync } from 'node:sqlite';
import { SqlferryError, EXIT } from '../errors/index.ts';
import { applyChecked, applySchema, withApplyTransaction } from './apply.ts';
import { readEntry, type LogEntry } from './log.ts';
import { logEnd } from './log-end.ts';
import type { SidecarPaths } from './sidecar.ts';
import { markSeq, readSeq } from './snapshot.ts';
import { openDatabase, withSnapshotErrors } from './sqlite.ts';

export function openBase(paths: SidecarPaths): DatabaseSync {
  const db = withSnapshotErrors(paths.base, () => openDatabase(paths.base, { foreignKeys: false }));
  try {
    // The first statement is where SQLite reads the file: a damaged base.db shows here.
    withSnapshotErrors(paths.base, () => db.exec('PRAGMA synchronous = FULL; SELECT count(*) FROM sqlite_schema'));
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** Apply one entry (schema statements, then the changeset) to a snapshot at entry.seq - 1. */
export function applyEntry(db: DatabaseSync, path: string, entry: LogEntry): void {
  withApplyTransaction(db, path, () => {
    const at = readSeq(db, path);
    if (at !== entry.meta.seq - 1) {
      throw new SqlferryError('SNAPSHOT_OUT_OF_STEP', `${path} is at commit ${at}, cannot apply commit ${entry.meta.seq}`, {
        data: { path, at, seq: entry.meta.seq },
        exitCode: EXIT.corrupt,
      });
    }
    applySchema(db, entry.meta.schema);
    applyChecked(db, entry.bytes);
    markSeq(db, entry.meta.seq);
  });
}

/**
 * Apply log entries at+1..to to a snapshot at `at`, in one transaction (one COMMIT for a pull
 * of many entries, not one each), recording `to` as its sequence.
 */
export function applyEntries(db: DatabaseSync, path: string, paths: SidecarPaths, to: number): void {
  const at = readSeq(db, path);
  if (at >= to) return;
  withApplyTransaction(db, path, () => {
    for (let seq = at + 1; seq <= to; seq++) {
      const entry = readEntry(paths, seq);
      applySchema(db, entry.meta.schema);
      applyChecked(db, entry.bytes);
    }
    markSeq(db, to);
  });
}

/** Bring base.db up to the last log entry. Returns the base's sequence afterwards. */
export function rollForward(paths: SidecarPaths): number {
  const last = logEnd(paths);
  const db = openBase(paths);
  try {
    const at = readSeq(db, paths.base);
    if (at > last) {
      throw new SqlferryError('LOG_MISSING', `the base snapshot is at commit ${at} but the log ends at ${last}`, {
        data: { at, last },
        exitCode: EXIT.corrupt,
        hint: 'log files were removed; restore the sidecar folder from a backup',
      });
    }
    applyEntries(db, paths.base, paths, last);
    return last;
  } finally {
    db.close();
  }
}
