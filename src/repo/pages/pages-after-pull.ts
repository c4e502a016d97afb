// The page map after a pull: the live database's pages as the log's new end, so the next
// commit compares only the tables changed after the pull, not every table (the map is tied to
// a log entry, and the pull moved the log's end). Recorded only by a replica that kept a map
// before the pull (one that commits): a replica that only pulls never pays the read of its
// pages. And only when nothing else wrote since the pull's COMMIT, as for the fingerprint:
// data_version on the pull's connection unchanged (no other commit before this read began),
// and the files stat as right after that COMMIT (no write during the read of the pages; the
// stamp's clock is past their timestamps). Then the WAL's last transaction is the pull's own,
// committed on this connection: its pages are known.
import type { DatabaseSync } from 'node:sqlite';
import type { Stamp } from './fingerprint.ts';
import type { PageMap } from './page-map.ts';
import { rememberPages, scopeAgainst } from './page-scope.ts';
import type { SidecarPaths } from '../sidecar.ts';
import { dataVersion } from '../sqlite.ts';

/**
 * On the connection `db` whose COMMIT made the live database equal log entry `seq`: `stamp`
 * is the files right after it, `dataVersionAtCommit` its data_version then, `before` the map
 * of the database before the pull. A cache: when anything is in doubt, nothing is recorded.
 */
export function rememberPagesAfterPull(paths: SidecarPaths, db: DatabaseSync, stamp: Stamp, dataVersionAtCommit: number, before: PageMap, seq: number): void {
  let map: PageMap | null = null;
  db.exec('BEGIN');
  try {
    db.prepare('SELECT count(*) FROM sqlite_schema').get(); // the read transaction starts here
    if (dataVersion(db) !== dataVersionAtCommit) return;
    map = scopeAgainst(paths, db, stamp, before, 'the pull', 'main', true).pageMap();
  } finally {
    db.exec('COMMIT');
  }
  rememberPages(paths, map, seq);
}
