// The base snapshot advances only by applying log entries to it, each together with its
// sequence number in one transaction, or by being replaced with a copy of the live database
// taken when that provably equals the log's end (base-from-live.ts), or by a pull over a large
// local commit, which moves it to the new log's end (recover-pull.ts). It may lag the log: a
// pull leaves it behind (the live database already holds the pulled rows, and a replica that
// never writes locally never needs them applied twice), and so does a crash after a log entry
// is written but before the base took it. Whoever reads it brings it up to the log's end
// first: openBase, catchUpBase.
import type { DatabaseSync } from 'node:sqlite';
import { SqlferryError, EXIT } from '../../errors/index.ts';
import { applyChecked, applySchema, withApplyTransaction } from '../apply/apply.ts';
import { readEntryOrFile, type LogEntry } from '../log/log.ts';
import { applyCheckedFile } from '../apply/apply-pieces.ts';
import { logEnd } from '../log/log-end.ts';
import type { SidecarPaths } from '../sidecar.ts';
import { markSeq, readSeq } from './snapshot.ts';
import { openDatabase, withSnapshotErrors } from '../sqlite.ts';

/** base.db as it is, possibly behind the log: for moving it. Readers use openBase. */
export function openBaseAsIs(paths: SidecarPaths): DatabaseSync {
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
    applySchema(db, entry.meta.schema, `log entry ${entry.meta.seq}`);
    applyChecked(db, entry.bytes, entry.meta.kind);
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
      const entry = readEntryOrFile(paths, seq);
      applySchema(db, entry.meta.schema, `log entry ${entry.meta.seq}`);
      if ('file' in entry) applyCheckedFile(db, entry.file, entry.meta.kind);
      else applyChecked(db, entry.bytes, entry.meta.kind);
    }
    markSeq(db, to);
  });
}

/** base.db brought up to the last log entry. Call holding the replica lock. */
export function openBase(paths: SidecarPaths): DatabaseSync {
  const last = logEnd(paths);
  const db = openBaseAsIs(paths);
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
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Bring base.db up to the last log entry, for a reader that attaches it by path. Call holding the replica lock. */
export function catchUpBase(paths: SidecarPaths): void {
  openBase(paths).close();
}
