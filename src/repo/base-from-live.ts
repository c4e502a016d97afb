// After a big pull, copying the live database into base.db (VACUUM INTO) is cheaper than
// applying every pulled change a second time to base.db. The copy is right only if nothing
// else committed to the live database between the pull's COMMIT and the end of the copy:
// PRAGMA data_version, read on the pull's connection before and after, proves that.
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { fsyncDir } from './atomic.ts';
import type { SidecarPaths } from './sidecar.ts';
import { markSeq, snapshotInto } from './snapshot.ts';
import { pullDir } from './pending-pull.ts';

const readyFile = (paths: SidecarPaths) => join(pullDir(paths), 'base.db');

export function dataVersion(db: DatabaseSync): number {
  return Number((db.prepare('PRAGMA data_version').get() as { data_version: bigint | number }).data_version);
}

/** Whether copying beats re-applying: the pulled bytes are at least half the database's size. */
export function copyIsCheaper(db: DatabaseSync, pulledBytes: number): boolean {
  const { n } = db.prepare('SELECT page_count * page_size AS n FROM pragma_page_count(), pragma_page_size()').get() as { n: bigint | number };
  return pulledBytes * 2 >= Number(n);
}

/**
 * Call right after the pull's COMMIT, on its connection, with `atCommit` = dataVersion(db) read
 * inside the pull's transaction (while no other connection could commit): leaves pull/base.db
 * only when nothing else committed between that COMMIT and the end of the copy.
 */
export function snapshotAfterCommit(db: DatabaseSync, paths: SidecarPaths, seq: number, atCommit: number): void {
  const candidate = join(pullDir(paths), 'base.candidate.db');
  snapshotInto(db, paths.db, candidate, (copy) => markSeq(copy, seq));
  if (dataVersion(db) === atCommit) renameSync(candidate, readyFile(paths));
  else rmSync(candidate, { force: true });
}

/** Installs pull/base.db as base.db when the pull left one; false means roll forward instead. */
export function installSnapshot(paths: SidecarPaths): boolean {
  if (!existsSync(readyFile(paths))) return false;
  renameSync(readyFile(paths), paths.base);
  fsyncDir(paths.dir);
  return true;
}
