// A descriptor of a file that SQLite may lock in this very process (the database, its -shm),
// opened once per process and file and never closed: closing any descriptor of a file drops
// every POSIX lock the process holds on it, SQLite's included.
import { fstatSync, fsync, openSync, statSync } from 'node:fs';

const held = new Map<string, number>();

/** A descriptor of the file now at `path`, opened once per process and file, never closed. */
export function heldDescriptor(path: string): number {
  const ino = statSync(path, { bigint: true }).ino;
  const fd = held.get(path);
  if (fd !== undefined && fstatSync(fd, { bigint: true }).ino === ino) return fd;
  const opened = openSync(path, 'r'); // the old one stays open: closing it could drop locks
  held.set(path, opened);
  return opened;
}

/**
 * What the file at `path` holds so far handed to the disk now, on libuv's thread pool, without
 * waiting: a later fsync (SQLite's COMMIT) then finds it written. Through the held descriptor:
 * closing one would drop SQLite's locks on the file.
 */
export function startWriteBack(path: string): void {
  fsync(heldDescriptor(path), () => {});
}
