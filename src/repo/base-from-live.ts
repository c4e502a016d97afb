// A replica that only pulls lets base.db fall behind the log (base.ts). Re-applying what it
// missed costs as much as the pulls did; once that outweighs copying the database, and the
// live database provably equals the log's end (its files stat as the fingerprint recorded,
// fingerprint.ts), base.db is replaced by a copy of it instead. A commit that found nothing
// to record does this, so the lag stays under half the database's size.
import { renameSync, rmSync } from 'node:fs';
import type { DatabaseSync } from 'node:sqlite';
import { fsyncDir, tempPathFor } from './atomic.ts';
import { openBaseAsIs } from './base.ts';
import { statLive, unchangedSince } from './fingerprint.ts';
import { readMeta } from './log.ts';
import type { SidecarPaths } from './sidecar.ts';
import { markSeq, readSeq, snapshotInto } from './snapshot.ts';
import { databaseBytes, openDatabase } from './sqlite.ts';

export function dataVersion(db: DatabaseSync): number {
  return Number((db.prepare('PRAGMA data_version').get() as { data_version: bigint | number }).data_version);
}

/**
 * Call holding the replica lock, when the fingerprint says the live database equals log entry
 * `last`. Returns whether base.db was replaced.
 */
export function refreshBaseIfFarBehind(paths: SidecarPaths, last: number): boolean {
  const base = openBaseAsIs(paths);
  let behind: number;
  try {
    behind = readSeq(base, paths.base);
  } finally {
    base.close();
  }
  let lagBytes = 0;
  for (let seq = behind + 1; seq <= last; seq++) lagBytes += readMeta(paths, seq).size;
  if (lagBytes === 0) return false;
  const live = openDatabase(paths.db);
  const candidate = tempPathFor(paths.base);
  try {
    if (lagBytes * 2 < databaseBytes(live)) return false;
    snapshotInto(live, paths.db, candidate, (db) => markSeq(db, last));
    // A write by another program during the copy moves the files' stat: then the copy is not
    // the log's end, and base.db stays as it was, to be rolled forward when needed.
    if (!unchangedSince(paths, statLive(paths), last)) return false;
    renameSync(candidate, paths.base);
    fsyncDir(paths.dir);
    return true;
  } finally {
    live.close();
    rmSync(candidate, { force: true });
  }
}
