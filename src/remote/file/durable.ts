// Disk writes that survive a crash at any moment: data is fsynced before it becomes
// reachable under its final name, and the folder is fsynced after.
import { open, link, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Body } from '../../hub/remote.ts';
import { asStream } from '../../hub/checksum.ts';
import { tempName } from '../../hub/folder/layout.ts';

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
