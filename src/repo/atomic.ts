// Every file sqlferry writes in the sidecar is written whole or not at all:
// temp file + fsync + rename + fsync of the folder, so a crash never leaves half a file.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync, unlinkSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SqlferryError, EXIT } from '../errors/index.ts';

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
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
 * where a crash before that fsync is recovered by doing the batch again.
 */
export function writeFileUnsynced(path: string, data: Uint8Array | string): void {
  const tmp = tempPathFor(path);
  const fd = openSync(tmp, 'wx');
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < bytes.byteLength) off += writeSync(fd, bytes, off, bytes.byteLength - off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
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
