// What a command killed mid-write leaves in the sidecar: its temp files (tempPathFor's
// `.NAME.PID.RAND.tmp`, with SQLite's -journal/-wal/-shm beside a temp database), the
// fingerprint's clock probe, and a push's snapshot upload (written only under the lock). A killed bulk commit leaves its whole entry, a killed base.db
// rebuild a whole database; a cron job that is killed now and then would fill the disk.
// Removed while the replica lock is held, and only once the process that made them is gone.
import { readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pidAlive } from './lock.ts';
import { pullDir } from './pull-recovery/pending-pull.ts';
import type { SidecarPaths } from './sidecar.ts';

const TEMP_FILE = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp(?:-journal|-wal|-shm)?$/;
const CLOCK_PROBE = /^\.clock\.(\d+)$/;

/** The writer's pid, if `name` is one of sqlferry's temp files. */
function writerOf(name: string): number | undefined {
  const match = TEMP_FILE.exec(name) ?? CLOCK_PROBE.exec(name);
  return match === null ? undefined : Number(match[1]);
}

function removeFrom(dir: string, named: (name: string) => boolean): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return; // a folder not made yet
  }
  for (const name of names) {
    const pid = named(name) ? writerOf(name) : undefined;
    if (pid === undefined || pid === process.pid || pidAlive(pid)) continue;
    rmSync(join(dir, name), { force: true });
  }
}

/**
 * Removes them from the folders sqlferry writes temp files in; garbage by name, so silently.
 * The log folder may hold many thousand entries: it is listed only when `unsettled` (a writer
 * killed there left its folder's stat other than the stamp, sidecar-stamp.ts); the sidecar
 * and pull folders hold a few files each.
 */
export function removeLeftovers(paths: SidecarPaths, unsettled: boolean): void {
  for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(paths.snapshotUpload + suffix, { force: true }); // we hold the lock: no push is sending it
  for (const dir of unsettled ? [paths.dir, pullDir(paths), paths.log] : [paths.dir, pullDir(paths)]) removeFrom(dir, () => true);
}

/** A killed clone's download beside the database it was making (the user's folder: only that name's). */
export function removeLeftoversOf(path: string): void {
  const prefix = `.${basename(path)}.`;
  removeFrom(dirname(path), (name) => name.startsWith(prefix));
}
