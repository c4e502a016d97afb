// The page map at `init`: the live database's pages as the genesis holds them, so the first
// commit compares only the tables (and key ranges) changed since, as every later one does,
// instead of every row. `init` has just read the whole database for the genesis (VACUUM INTO,
// which cannot run inside a transaction of its own connection); its pages are read in a read
// transaction after that, and kept only if no other connection committed in between
// (data_version on the init's connection, taken before the VACUUM) — then this read sees what
// the genesis holds. A cache: when anything is in doubt, nothing is recorded and the first
// commit compares every table, as before. A clone records none (Replica.init's `pageMap`): a
// replica that only pulls never reads its pages.
import type { DatabaseSync } from 'node:sqlite';
import { takeStampPastTick } from './fingerprint.ts';
import type { PageMap } from './page-map.ts';
import { rememberPages, scopeAgainst } from './page-scope.ts';
import type { SidecarPaths } from '../sidecar.ts';
import { dataVersion } from '../sqlite.ts';

/** On the connection `live` that made the genesis (log entry `seq`), whose data_version was `versionBefore` before it did. */
export function rememberPagesAtInit(paths: SidecarPaths, live: DatabaseSync, versionBefore: number, seq: number): void {
  const before = takeStampPastTick(paths);
  let map: PageMap | null = null;
  live.exec('BEGIN');
  try {
    live.prepare('SELECT count(*) FROM sqlite_schema').get(); // the read transaction starts here
    if (dataVersion(live) !== versionBefore) return;
    map = scopeAgainst(paths, live, before, 'none yet', 'the genesis').pageMap();
  } finally {
    live.exec('COMMIT');
  }
  rememberPages(paths, map, seq);
}
