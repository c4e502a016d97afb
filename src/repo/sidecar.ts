// Where a replica's files live: `app.db.sqlferry/` beside `app.db` (docs/ARCHITECTURE.md).
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve, basename } from 'node:path';

export const SIDECAR_SUFFIX = '.sqlferry';

export interface SidecarPaths {
  db: string;
  dir: string;
  config: string;
  state: string;
  genesis: string;
  base: string;
  log: string;
  lock: string;
  /** Stat fingerprint of the live files at the last capture: the fast "nothing changed" answer. */
  fingerprint: string;
  /** How many log bytes base.db is behind, counted so far (base-from-live.ts): a cache. */
  baseLag: string;
  conflicts: string;
  /** base.db is being written without a journal (base-unjournaled.ts): rebuilt if this outlives the write. */
  baseWriting: string;
  /** The content digest at the hub position (digest-state.ts): a cache. */
  digest: string;
  /** Stat of base.db and the log folder as sqlferry last left them (sidecar-stamp.ts). */
  stamp: string;
  /** The history of each hub this replica followed before its current one (restart-history.ts). */
  archive: string;
  /** A history restart under way: the commit point of restart-history.ts. */
  restart: string;
  /** The genesis a history restart will take, written before it starts. */
  nextGenesis: string;
  /** The database a push is sending as a hub snapshot (hub-snapshot.ts), only while it holds the lock. */
  snapshotUpload: string;
}

export function sidecarPaths(dbPath: string): SidecarPaths {
  const db = resolve(dbPath);
  const dir = db + SIDECAR_SUFFIX;
  return {
    db,
    dir,
    config: join(dir, 'config.json'),
    state: join(dir, 'state.json'),
    genesis: join(dir, 'genesis.db'),
    base: join(dir, 'base.db'),
    log: join(dir, 'log'),
    lock: join(dir, 'lock'),
    fingerprint: join(dir, 'fingerprint.json'),
    baseLag: join(dir, 'base-lag.json'),
    conflicts: join(dir, 'conflicts.db'),
    baseWriting: join(dir, 'base-writing.json'),
    digest: join(dir, 'digest.json'),
    stamp: join(dir, 'stamp.json'),
    archive: join(dir, 'archive'),
    restart: join(dir, 'restart.json'),
    nextGenesis: join(dir, 'genesis.next.db'),
    snapshotUpload: join(dir, 'snapshot-upload.db'),
  };
}

/** Fixed-width, sortable log names: 0000000001.changeset / .json. */
export function entryName(seq: number): string {
  return String(seq).padStart(10, '0');
}

export function entryPaths(paths: SidecarPaths, seq: number): { bytes: string; meta: string } {
  const name = entryName(seq);
  return { bytes: join(paths.log, `${name}.changeset`), meta: join(paths.log, `${name}.json`) };
}

export function isReplica(dbPath: string): boolean {
  return existsSync(join(resolve(dbPath) + SIDECAR_SUFFIX, 'config.json'));
}

/**
 * Like git finding `.git`: from `start` upward, the first folder holding a `*.sqlferry/`
 * sidecar names the database. Two replicas in one folder are ambiguous: return all of them.
 */
export function discoverReplicas(start: string, list: (dir: string) => string[]): string[] {
  let dir = resolve(start);
  for (;;) {
    const found = list(dir)
      .filter((name) => name.endsWith(SIDECAR_SUFFIX) && name.length > SIDECAR_SUFFIX.length)
      .map((name) => join(dir, name.slice(0, -SIDECAR_SUFFIX.length)))
      .filter((db) => isReplica(db) && existsSync(db) && statSync(db).isFile());
    if (found.length > 0) return found.sort();
    const parent = dirname(dir);
    if (parent === dir) return [];
    dir = parent;
  }
}

export function displayName(dbPath: string): string {
  return basename(dbPath);
}
