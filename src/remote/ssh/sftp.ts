// The few file operations a hub needs, over plain SFTP, with the same durability rules as the
// folder transport: bytes are written under a fresh name and fsynced (fsync@openssh.com, where
// offered) before a metadata file makes them reachable; that file appears atomically and only
// if absent, through hardlink@openssh.com, or plain SFTP rename, which also refuses to replace.
import type { SFTPWrapper } from 'ssh2';
import type { Body } from '../../hub/remote.ts';
import { asStream, collect } from '../../hub/checksum.ts';
import { tempName } from '../../hub/folder/layout.ts';
import { passed } from '../../shared/collect.ts';
import { MAX_TEXT_BYTES, upToOnePast } from '../../hub/folder/one-past.ts';
import { readAhead } from './read-ahead.ts';

const END_OF_FILE = 1;
const NO_SUCH_FILE = 2;
/** Writes in flight at once: SFTP answers each one, so a window keeps a slow link busy. */
const WINDOW = 32;
const SLICE = 32 * 1024;
/** Copies ssh2 makes of each byte written (the SFTP request, the SSH packet): let go once sent, counted for collect.ts. */
const COPIES = 2;

export const isMissing = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === NO_SUCH_FILE;
const isEnd = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === END_OF_FILE;

function call<T>(start: (done: (err: Error | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => start((err, value) => (err ? reject(err) : resolve(value))));
}

/** A small file's text, read no further than one byte past MAX_TEXT_BYTES (ssh2's readFile reads all a server sends). */
export async function readText(sftp: SFTPWrapper, path: string): Promise<string | undefined> {
  return collect(upToOnePast(readAhead(sftp, path, 0), MAX_TEXT_BYTES)).then(
    (b) => Buffer.from(b).toString('utf8'),
    (err) => (isMissing(err) ? undefined : Promise.reject(err)),
  );
}

/**
 * A folder's names, one READDIR answer at a time (ssh2's readdir of a path gathers every answer
 * before returning); false when the folder does not exist. See FolderFs.scan.
 */
export async function scanNames(sftp: SFTPWrapper, path: string, see: (name: string) => boolean): Promise<boolean> {
  const handle = await call<Buffer>((done) => sftp.opendir(path, done)).catch((err) => (isMissing(err) ? undefined : Promise.reject(err)));
  if (handle === undefined) return false;
  try {
    for (;;) {
      const batch = await call<Array<{ filename: string }>>((done) => sftp.readdir(handle, done)).catch((err) => (isEnd(err) ? undefined : Promise.reject(err)));
      if (batch === undefined) return true;
      for (const entry of batch) if (see(entry.filename)) return true;
    }
  } finally {
    await call<void>((done) => sftp.close(handle, (err) => done(err, undefined))).catch(() => {});
  }
}

export async function exists(sftp: SFTPWrapper, path: string): Promise<boolean> {
  return call((done) => sftp.stat(path, done)).then(() => true, (err) => (isMissing(err) ? false : Promise.reject(err)));
}

/** A file's size and last write time (SFTP carries whole seconds); undefined when it does not exist. */
export async function statFile(sftp: SFTPWrapper, path: string): Promise<{ size: number; mtimeMs: number } | undefined> {
  return call<{ size: number; mtime: number }>((done) => sftp.stat(path, done)).then(
    (attrs) => ({ size: attrs.size, mtimeMs: attrs.mtime * 1000 }),
    (err) => (isMissing(err) ? undefined : Promise.reject(err)),
  );
}

/** Replaces a small file's content in place (an advisory file: see hub/folder/find-head.ts). */
export async function overwriteText(sftp: SFTPWrapper, path: string, text: string): Promise<void> {
  await call<void>((done) => sftp.writeFile(path, text, (err) => done(err, undefined)));
}

export async function mkdirIfMissing(sftp: SFTPWrapper, path: string): Promise<void> {
  await call<void>((done) => sftp.mkdir(path, (err) => done(err, undefined))).catch(async (err) => {
    if (!(await exists(sftp, path))) throw err;
  });
}

export async function removeQuietly(sftp: SFTPWrapper, path: string): Promise<void> {
  await call<void>((done) => sftp.unlink(path, (err) => done(err, undefined))).catch(() => {});
}

/** Writes and fsyncs a file that must not exist yet; returns its size. */
export async function writeNewFile(sftp: SFTPWrapper, path: string, body: Body): Promise<number> {
  const handle = await call<Buffer>((done) => sftp.open(path, 'wx', done));
  let size = 0;
  try {
    const inFlight = new Set<Promise<void>>();
    for await (const chunk of asStream(body)) {
      const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      for (let off = 0; off < buf.length; off += SLICE) {
        const len = Math.min(SLICE, buf.length - off);
        const write = call<void>((done) => sftp.write(handle, buf, off, len, size + off, (err) => done(err, undefined)));
        inFlight.add(write);
        void write.then(() => inFlight.delete(write), () => {});
        if (inFlight.size >= WINDOW) await Promise.race(inFlight);
      }
      size += buf.length;
      passed(COPIES * buf.length);
    }
    await Promise.all(inFlight);
    await fsync(sftp, handle);
  } finally {
    await call<void>((done) => sftp.close(handle, (err) => done(err, undefined))).catch(() => {});
  }
  return size;
}

async function fsync(sftp: SFTPWrapper, handle: Buffer): Promise<void> {
  let pending: Promise<unknown>;
  try {
    pending = call((done) => sftp.ext_openssh_fsync(handle, done));
  } catch {
    return; // the server does not offer fsync@openssh.com: its own write-back is all there is
  }
  await pending;
}

/** Makes `target` name the same file as `source` only if `target` is absent; false when it was taken. */
export async function linkExclusive(sftp: SFTPWrapper, source: string, target: string): Promise<boolean> {
  const linked = call<void>((done) => {
    try {
      sftp.ext_openssh_hardlink(source, target, (err) => done(err, undefined));
    } catch {
      sftp.rename(source, target, (err) => done(err, undefined)); // no hardlink@openssh.com
    }
  });
  return linked.then(() => true, async (err) => {
    // SFTP reports EEXIST as a generic failure: a committed name never goes away, so look.
    if (await exists(sftp, target)) return false;
    throw err;
  });
}

/** Publishes `text` under `dir/name` atomically and only if nothing is there; false when taken. */
export async function publishExclusive(sftp: SFTPWrapper, dir: string, name: string, text: string): Promise<boolean> {
  const tmp = `${dir}/${tempName()}`;
  await writeNewFile(sftp, tmp, Buffer.from(text));
  try {
    return await linkExclusive(sftp, tmp, `${dir}/${name}`);
  } finally {
    await removeQuietly(sftp, tmp);
  }
}
