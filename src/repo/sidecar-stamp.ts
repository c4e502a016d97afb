// Whether something other than sqlferry wrote base.db or the log, as git notices an index
// changed behind its back: their stat, recorded whenever a command releases the replica lock
// and compared when the next one takes it. A difference is no proof of damage; it marks the
// replica "suspect" until its content is checked against the log (before it pushes, or by
// verify), so a later command cannot launder the change by stamping over it.
import { existsSync, statSync } from 'node:fs';
import { readCache, writeCache } from './atomic.ts';
import type { SidecarPaths } from './sidecar.ts';

interface Stamp {
  base: string | null;
  log: string | null;
  suspect: boolean;
}

function statOf(path: string): string | null {
  if (!existsSync(path)) return null;
  const s = statSync(path, { bigint: true });
  return `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
}

function saved(paths: SidecarPaths): Stamp | undefined {
  return readCache<Stamp>(paths.stamp);
}

/** Records the stat as it is now; a stamp that would not change is not written again (a no-op sync takes the lock three times). */
function write(paths: SidecarPaths, suspect: boolean, was = saved(paths)): void {
  if (!existsSync(paths.dir)) return;
  const now: Stamp = { base: statOf(paths.base), log: statOf(paths.log), suspect };
  if (was?.base !== now.base || was.log !== now.log || was.suspect !== now.suspect) writeCache(paths.stamp, now);
}

/**
 * On taking the lock: a sidecar that does not stat as sqlferry left it (or was never stamped)
 * becomes suspect. True when it is suspect: a command killed mid-write is one such change.
 */
export function noticeOutsideChanges(paths: SidecarPaths): boolean {
  const s = saved(paths);
  if (s?.suspect === true) return true;
  if (s !== undefined && s.base === statOf(paths.base) && s.log === statOf(paths.log)) return false;
  write(paths, true, s);
  return true;
}

/** On releasing the lock, after sqlferry's own writes: record them, keeping a suspicion not yet cleared. */
export function stampSidecar(paths: SidecarPaths, suspect?: boolean): void {
  const was = saved(paths);
  write(paths, suspect ?? was?.suspect ?? false, was);
}

export function isSuspect(paths: SidecarPaths): boolean {
  return saved(paths)?.suspect !== false;
}

/** The content was checked against the log and found right. */
export function clearSuspicion(paths: SidecarPaths): void {
  write(paths, false);
}
