// Disk writes that survive a crash at any moment: data is fsynced before it becomes
// reachable under its final name, and the folder is fsynced after.
import { open, link, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Body } from '../../hub/remote.ts';
import { asStream } from '../../hub/checksum.ts';
import { tempName } from '../../hub/folder/layout.ts';
import { inWindow } from '../../shared/in-window.ts';

/** Files written at once: enough to keep the thread pool's fsyncs overlapping, few enough descriptors. */
const FILES_AT_ONCE = 64;

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes and fsyncs a file under a name nobody else uses; returns its size. */
export async function writeNewFile(path: string, body: Body): Promise<number> {
  const fh = await open(path, 'wx');
  let size = 0;
  try {
    for await (const chunk of asStream(body)) {
      await fh.write(chunk);
      size += chunk.byteLength;
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  return size;
}

/**
 * Writes files under names nobody else uses and makes them durable together: their fsyncs run at
 * once (on the thread pool), so the journal commits them together instead of once per file.
 */
export async function writeNewFilesTogether(files: Array<{ path: string; bytes: Uint8Array }>): Promise<void> {
  await inWindow(files, FILES_AT_ONCE, (f) => writeNewFile(f.path, f.bytes));
}

/** Gives `from` the name `to` too, only if `to` is free (link() fails with EEXIST atomically); false when taken. */
export async function linkExclusive(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/**
 * Publishes `text` at `path` only if nothing is there: written under a temporary name, fsynced,
 * then hard-linked (link() fails with EEXIST atomically, even between processes and on NFS).
 * Returns false when the name was taken.
 */
export async function publishExclusive(path: string, text: string): Promise<boolean> {
  const tmp = join(dirname(path), tempName());
  await writeNewFile(tmp, Buffer.from(text));
  try {
    await link(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(tmp).catch(() => {});
  }
  await fsyncDir(dirname(path));
  return true;
}
