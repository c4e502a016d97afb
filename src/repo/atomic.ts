// Every file sqlferry writes in the sidecar is written whole or not at all:
// temp file + fsync + rename + fsync of the folder, so a crash never leaves half a file.
// Batches (a pull's sidecar update) write first and fsync after, all files at once.
import { closeSync, copyFileSync, fsyncSync, lstatSync, openSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync, writeSync, unlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SqlferryError, EXIT } from '../errors/index.ts';

export function fsyncDir(dir: string): void {
  fsyncPath(dir);
}

/** fsync files (or folders) one after the other; opened read-only, which Linux allows. */
export function fsyncPaths(paths: readonly string[]): void {
  for (const path of paths) fsyncPath(path);
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * fsync files all at once on libuv's thread pool: the filesystem can write them back and
 * commit its journal for several together, instead of one journal commit per file.
 */
export async function fsyncPathsConcurrently(paths: readonly string[]): Promise<void> {
  await Promise.all(paths.map(async (path) => {
    const fh = await open(path, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }));
}

/**
 * `from`'s bytes as `to`, whole or not at all. Only for a file no connection in this process has
 * open and no other program writes (a sidecar snapshot): closing a descriptor on a database
 * drops every POSIX lock the process holds on it.
 */
export function copyFileAtomic(from: string, to: string): void {
  const tmp = tempPathFor(to);
  try {
    copyFileSync(from, tmp);
    fsyncPath(tmp);
    renameSync(tmp, to);
  } finally {
    rmSync(tmp, { force: true });
  }
  fsyncDir(dirname(to));
}

/** A temp name beside `path`, unique per call, so two writers never share one. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  writeFileUnsynced(path, data);
  fsyncDir(dirname(path));
}

/**
 * writeFileAtomic without the folder's fsync, for a batch of files in one folder: the content
 * is durable, the name is not until the caller fsyncs the folder once for all of them. Only
 * where a crash before that fsync is recovered by doing the batch again. `data` may come in
 * parts (a large entry, never held whole).
 */
export function writeFileUnsynced(path: string, data: Uint8Array | string | Iterable<Uint8Array>): void {
  writeDurablyRenamed(path, typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data);
}

/** `chunks` into a temp file beside `path`, fsynced, then renamed over it; how many bytes. */
function writeDurablyRenamed(path: string, chunks: Iterable<Uint8Array>): number {
  const tmp = tempPathFor(path);
  const fd = openSync(tmp, 'wx');
  let size: number;
  try {
    size = writeChunks(fd, chunks);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
  return size;
}

/**
 * Temp file + rename, no fsync at all: readers never see half a file, but after a power
 * loss the file may be empty or old. Only where the caller fsyncs it (fsyncPaths…) before
 * anything records it as written, and a crash before that does the batch again.
 */
export function writeFileRenamed(path: string, data: Uint8Array | string): void {
  const tmp = tempPathFor(path);
  try {
    writeFileSync(tmp, data, { flag: 'wx' });
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  renameSync(tmp, path);
}

/**
 * A file the user named (-o FILE): a regular file, or a new one, is replaced whole (temp +
 * fsync + rename), beside a symlink's target so the link stays; anything else — a device such
 * as /dev/null, a FIFO — is written into, never renamed over (that would replace the device).
 * The bytes come in chunks (a large export is never held whole); returns how many were written.
 */
export function writeOutputFile(path: string, chunks: Iterable<Uint8Array>): number {
  const target = lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink() ? realTarget(path) : path;
  const existing = statSync(target, { throwIfNoEntry: false });
  if (existing === undefined || existing.isFile()) {
    const size = writeDurablyRenamed(target, chunks);
    fsyncDir(dirname(target));
    return size;
  }
  const fd = openSync(target, 'w');
  try {
    return writeChunks(fd, chunks);
  } finally {
    closeSync(fd);
  }
}

function writeChunks(fd: number, chunks: Iterable<Uint8Array>): number {
  let size = 0;
  for (const chunk of chunks) {
    writeAll(fd, chunk);
    size += chunk.byteLength;
  }
  return size;
}

/** Where a symlink leads; a dangling link is written through, creating its target. */
function realTarget(link: string): string {
  try {
    return realpathSync(link);
  } catch {
    return link;
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.byteLength) off += writeSync(fd, bytes, off, bytes.byteLength - off);
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/** Parse a JSON file of ours; a damaged one is reported as corrupt, with its path. */
export function readJson<T>(path: string): T {
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new SqlferryError('FILE_CORRUPT', `${path} is not valid JSON`, {
      data: { path },
      exitCode: EXIT.corrupt,
      hint: 'the sidecar file was damaged; restore it from a backup or re-create the replica with init',
    });
  }
}

/**
 * A cache file of ours (the fingerprint, the base lag count): written in place without fsync,
 * because losing it only costs work. Missing, empty, or cut short by a crash reads as absent.
 */
export function readCache<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export function writeCache(path: string, value: unknown): void {
  writeFileSync(path, JSON.stringify(value));
}
