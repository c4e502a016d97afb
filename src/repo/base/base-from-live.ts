// A replica that only pulls lets base.db fall behind the log (base.ts). Re-applying what it
// missed costs as much as the pulls did; once that outweighs copying the database, and the
// live database provably equals the log's end (its files stat as the fingerprint recorded,
// fingerprint.ts), base.db is replaced by a copy of it instead. A commit that found nothing
// to record does this, so the lag stays under half the database's size.
import { renameSync, rmSync, statSync } from 'node:fs';
import { fsyncDir, readCache, tempPathFor, writeCache } from '../atomic.ts';
import { openBaseAsIs } from './base.ts';
import { statLive, unchangedSince } from '../pages/fingerprint.ts';
import { readMeta } from '../log/log.ts';
import type { SidecarPaths } from '../sidecar.ts';
import { markSeq, readSeq, snapshotInto } from './snapshot.ts';
import { openDatabase } from '../sqlite.ts';

/**
 * Call holding the replica lock, when the fingerprint says the live database equals log entry
 * `last`.
 */
export function refreshBaseIfFarBehind(paths: SidecarPaths, last: number): void {
  const base = openBaseAsIs(paths);
  let behind: number;
  try {
    behind = readSeq(base, paths.base);
  } finally {
    base.close();
  }
  const lag = lagBytes(paths, behind, last);
  // The file's size, not SQLite's page count: stat opens no descriptor on the live database.
  if (lag === 0 || lag * 2 < statSync(paths.db).size) return;
  const live = openDatabase(paths.db);
  const candidate = tempPathFor(paths.base);
  try {
    snapshotInto(live, paths.db, candidate, (db) => markSeq(db, last));
    // A write by another program during the copy moves the files' stat: then the copy is not
    // the log's end, and base.db stays as it was, to be rolled forward when needed.
    if (!unchangedSince(paths, statLive(paths), last)) return;
    renameSync(candidate, paths.base);
    fsyncDir(paths.dir);
  } finally {
    live.close();
    rmSync(candidate, { force: true });
  }
}

interface LagCount {
  baseSeq: number;
  upTo: number;
  bytes: number;
}

/**
 * The size of log entries `at`+1..`last`. A replica that only pulls asks after every pull, and
 * its lag may span many entries: what was counted before (for the same base) is kept in
 * base-lag.json, so each call reads only the metadata of entries it has not counted yet.
 * A cache (atomic.ts, readCache): a count that does not read is started over.
 * Entries a pull replaces (unpushed local commits) keep their old size in the count until
 * base.db moves: the count only decides when a copy is worth it.
 */
function lagBytes(paths: SidecarPaths, at: number, last: number): number {
  const saved = readCache<LagCount>(paths.baseLag);
  const count = saved !== undefined && saved.baseSeq === at && saved.upTo <= last ? saved : { baseSeq: at, upTo: at, bytes: 0 };
  if (count.upTo === last) return count.bytes;
  for (let seq = count.upTo + 1; seq <= last; seq++) count.bytes += readMeta(paths, seq).size;
  writeCache(paths.baseLag, { baseSeq: at, upTo: last, bytes: count.bytes } satisfies LagCount);
  return count.bytes;
}
