// The replica lock: a file created with O_EXCL holding our pid, while a command changes
// the sidecar. A lock left by a process that no longer exists is taken over.
import { openSync, writeSync, closeSync, readFileSync, unlinkSync, renameSync, linkSync, statSync } from 'node:fs';
import { SqlferryError, EXIT } from '../errors/index.ts';
import { tempPathFor } from './atomic.ts';

export interface ReplicaLock {
  release(): void;
}

/** Whether a process with this pid exists (one we may not signal counts). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryCreate(path: string): boolean {
  try {
    const fd = openSync(path, 'wx');
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

function holderOf(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined; // vanished, or being written right now
  }
}

function heldFor(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

export function acquireLock(path: string): ReplicaLock {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (tryCreate(path)) {
      return {
        release() {
          if (holderOf(path) === process.pid) unlinkSync(path);
        },
      };
    }
    const holder = holderOf(path);
    if (holder !== undefined && pidAlive(holder)) {
      throw new SqlferryError('REPLICA_LOCKED', `another sqlferry command (pid ${holder}) is changing this replica`, {
        data: { path, pid: holder, heldMs: heldFor(path) },
        exitCode: EXIT.locked,
        hint: 'wait for it to finish, then run the command again',
      });
    }
    // Stale: move it aside atomically so only one of several racing takers removes it.
    const aside = tempPathFor(path);
    try {
      renameSync(path, aside);
    } catch {
      continue; // someone else took it over first; try again
    }
    const moved = holderOf(aside);
    // A racing taker may have created a fresh lock between our read and rename: give it back.
    if (moved !== undefined && moved !== holder && pidAlive(moved)) {
      try {
        linkSync(aside, path);
      } catch {
        // a newer lock exists already; the next attempt reports it
      }
    }
    unlinkSync(aside);
  }
  throw new SqlferryError('REPLICA_LOCKED', 'could not take the replica lock', {
    data: { path },
    exitCode: EXIT.locked,
    hint: 'run the command again',
  });
}
