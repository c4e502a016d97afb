// After a big pull, copying the live database into base.db is cheaper than applying every
// pulled change a second time to base.db. The copy is right only if nothing else committed to
// the live database between the pull's COMMIT and the end of the copy: PRAGMA data_version,
// read on the pull's connection before and after, proves that.
// The copy is SQLite's online backup (pages copied as they are, on libuv's thread pool), so it
// runs while the pull writes the log on the main thread; VACUUM INTO would rebuild every
// b-tree, on the main thread.
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { backup, type DatabaseSync } from 'node:sqlite';
import { fsyncDir, fsyncPathsConcurrently } from './atomic.ts';
import type { SidecarPaths } from './sidecar.ts';
import { markSeq } from './snapshot.ts';
import { databaseBytes, openDatabase, translateSqliteError } from './sqlite.ts';
import { pullDir } from './pending-pull.ts';

const readyFile = (paths: SidecarPaths) => join(pullDir(paths), 'base.db');

export function dataVersion(db: DatabaseSync): number {
  return Number((db.prepare('PRAGMA data_version').get() as { data_version: bigint | number }).data_version);
}

/** Whether copying beats re-applying: the pulled bytes are at least half the database's size. */
export function copyIsCheaper(db: DatabaseSync, pulledBytes: number): boolean {
  return pulledBytes * 2 >= databaseBytes(db);
}

/**
 * Call right after the pull's COMMIT, on its connection, with `atCommit` = dataVersion(db) read
 * inside the pull's transaction (while no other connection could commit): leaves pull/base.db
 * only when nothing else committed between that COMMIT and the end of the copy. Do not use `db`
 * until the promise settles: the copy reads through it from another thread.
 */
export async function snapshotAfterCommit(db: DatabaseSync, paths: SidecarPaths, seq: number, atCommit: number): Promise<void> {
  const candidate = join(pullDir(paths), 'base.candidate.db');
  rmSync(candidate, { force: true });
  try {
    await backup(db, candidate, { rate: 2 ** 30 }); // every page in one step
  } catch (err) {
    throw translateSqliteError(err, paths.db);
  }
  if (dataVersion(db) !== atCommit) {
    rmSync(candidate, { force: true });
    return;
  }
  const copy = openDatabase(candidate, { foreignKeys: false });
  try {
    // A copy of a WAL database says WAL in its header: base.db is always a rollback-journal file.
    copy.exec('PRAGMA journal_mode = DELETE');
    // No fsync inside SQLite: the file is fsynced once below, on the thread pool, and becomes
    // pull/base.db (then base.db) only after that; a crash before leaves a candidate nobody uses.
    copy.exec('PRAGMA synchronous = OFF');
    markSeq(copy, seq);
  } finally {
    copy.close();
  }
  await fsyncPathsConcurrently([candidate]);
  renameSync(candidate, readyFile(paths));
}

/** Installs pull/base.db as base.db when the pull left one; false means roll forward instead. */
export function installSnapshot(paths: SidecarPaths): boolean {
  if (!existsSync(readyFile(paths))) return false;
  renameSync(readyFile(paths), paths.base);
  fsyncDir(paths.dir);
  return true;
}
