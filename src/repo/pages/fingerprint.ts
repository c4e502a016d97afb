// "Anything changed since the last capture?" answered without reading the database.
// Every write SQLite makes to a database goes through write(2) to the main file or its WAL,
// which moves that file's mtime/ctime (or its size or inode). So if the database and WAL
// files stat the same as when the last capture started, nothing changed since then.
//
// One trap, the one git calls "racily clean": timestamps are coarse (a clock tick, or 2 s on
// some filesystems), so a write in the same tick as the stat would not move them. The stamp
// is therefore trusted only when every timestamp in it is strictly older than a clock reading
// taken after the stat and before the capture's read transaction began, from the same
// filesystem (the mtime of a file created in the sidecar). Any write the capture did not see
// happened after that reading, in a later tick, and shows up as a different timestamp.
import { existsSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCache, writeCache } from '../atomic.ts';
import { forgetPageMap } from './page-map-file.ts';
import type { SidecarPaths } from '../sidecar.ts';
import { publishedWalEnd, type WalEnd } from './wal-index.ts';

export interface FileStamp {
  ino: string;
  size: string;
  mtimeNs: string;
  ctimeNs: string;
}

/** What the live files look like now: enough to compare with a fingerprint. */
export interface LiveFiles {
  db: FileStamp;
  wal: FileStamp | null;
  /** A rollback journal exists: a writer is mid-transaction, nothing can be concluded. */
  journal: boolean;
}

/** LiveFiles plus a clock reading: enough to record them as a fingerprint. */
export interface Stamp extends LiveFiles {
  /** The filesystem's clock right after the stat; see the comment at the top. */
  clockNs: string;
  /** How far the WAL was published to readers then (wal-index.ts), when taken before a read of the pages (takeStampPastTick). */
  published?: WalEnd | null;
}

interface Fingerprint {
  baseSeq: number;
  db: FileStamp;
  wal: FileStamp | null;
}

function stampOf(path: string): FileStamp | null {
  if (!existsSync(path)) return null;
  const s = statSync(path, { bigint: true });
  return { ino: String(s.ino), size: String(s.size), mtimeNs: String(s.mtimeNs), ctimeNs: String(s.ctimeNs) };
}

export function statLive(paths: SidecarPaths): LiveFiles {
  return { db: stampOf(paths.db)!, wal: stampOf(paths.db + '-wal'), journal: existsSync(paths.db + '-journal') };
}

/** Take before the capture's read transaction starts. */
export function takeStamp(paths: SidecarPaths): Stamp {
  return { ...statLive(paths), clockNs: String(clockNow(paths)) };
}

/**
 * takeStamp, its clock reading retaken (a few milliseconds at most, sleeping) until it is past
 * the files' timestamps: trusted, unless the filesystem clock did not move.
 */
export function takeStampPastTick(paths: SidecarPaths): Stamp {
  const live = statLive(paths);
  const newest = newestTime(live);
  let clock = clockNow(paths);
  for (let waited = 0; clock <= newest && waited < 50; waited++) {
    Atomics.wait(sleeper, 0, 0, 1);
    clock = clockNow(paths);
  }
  return { ...live, clockNs: String(clock), published: live.wal === null ? null : publishedWalEnd(paths.db) };
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

function newestTime(live: LiveFiles): bigint {
  return [live.db, live.wal].filter((f): f is FileStamp => f !== null).flatMap((f) => [BigInt(f.mtimeNs), BigInt(f.ctimeNs)]).reduce((a, b) => (a > b ? a : b));
}

/** No write after `stamp` can leave the files' stat as it was (see the top). */
export function clockPastWrites(stamp: Stamp): boolean {
  return newestTime(stamp) < BigInt(stamp.clockNs);
}

/** A stamp that can be saved as the fingerprint: clockPastWrites, and no writer mid-transaction. */
function isTrusted(stamp: Stamp): boolean {
  return !stamp.journal && clockPastWrites(stamp);
}

/**
 * The live files stat now as in `before`: nothing wrote them in between. A WAL file absent or
 * empty both times is the same, whatever its times say: a reader's connection creates it (and,
 * run as root, gives it the database's owner). Emptying a WAL that had frames takes a
 * checkpoint, which writes the database file.
 */
export function unchangedSinceStamp(paths: SidecarPaths, before: LiveFiles): boolean {
  const now = statLive(paths);
  const empty = (f: FileStamp | null): boolean => f === null || f.size === '0';
  return sameFile(before.db, now.db) && (sameWal(before.wal, now.wal) || (empty(before.wal) && empty(now.wal)));
}

/**
 * `live`, read at a moment the database equalled a log entry, with a clock reading taken now,
 * a tick past its timestamps if need be (a millisecond or a few): then saveFingerprint
 * trusts it. The caller must prove no other program committed between `live` and now.
 */
export async function stampPastTick(paths: SidecarPaths, live: LiveFiles): Promise<Stamp> {
  const newest = newestTime(live);
  let clock = clockNow(paths);
  for (let waited = 0; clock <= newest && waited < 50; waited++) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    clock = clockNow(paths);
  }
  return { ...live, clockNs: String(clock), published: live.wal === null ? null : publishedWalEnd(paths.db) };
}

/** The filesystem's clock: the mtime of a file created in the sidecar. */
function clockNow(paths: SidecarPaths): bigint {
  const probe = join(paths.dir, `.clock.${process.pid}`);
  writeFileSync(probe, '');
  const clockNs = statSync(probe, { bigint: true }).mtimeNs;
  unlinkSync(probe);
  return clockNs;
}

export function sameFile(a: FileStamp | null, b: FileStamp | null): boolean {
  return a === b || (a !== null && b !== null && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs);
}

/**
 * The WAL file by its mtime, not its ctime: SQLite run as root gives the -wal file the
 * database's owner (fchown) each time a connection opens it, which moves the ctime without
 * a write. Every write moves the mtime.
 */
function sameWal(a: FileStamp | null, b: FileStamp | null): boolean {
  return a === b || (a !== null && b !== null && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs);
}

/** True only when the live files are provably untouched since they equalled log entry `baseSeq`. */
export function unchangedSince(paths: SidecarPaths, stamp: LiveFiles, baseSeq: number): boolean {
  if (stamp.journal) return false;
  const saved = readCache<Fingerprint>(paths.fingerprint);
  return saved !== undefined && saved.baseSeq === baseSeq && sameFile(saved.db, stamp.db) && sameWal(saved.wal, stamp.wal);
}

/** Record `stamp` as the live files equal to log entry `baseSeq` — when it can be trusted; else forget. */
export function saveFingerprint(paths: SidecarPaths, stamp: Stamp, baseSeq: number): void {
  if (isTrusted(stamp)) writeCache(paths.fingerprint, { baseSeq, db: stamp.db, wal: stamp.wal } satisfies Fingerprint);
  else forgetFingerprint(paths);
}

/** Emptied rather than removed, so saving the next one creates no file. The page map goes too. */
export function forgetFingerprint(paths: SidecarPaths): void {
  if (existsSync(paths.fingerprint)) truncateSync(paths.fingerprint);
  forgetPageMap(paths);
}
