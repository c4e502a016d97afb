// The folder engine's file operations on a local (or NFS) disk: exclusive link() commits a file,
// every write is fsynced before it becomes reachable (./durable.ts).
import { access, mkdir, open, opendir, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Body } from '../../hub/remote.ts';
import type { FolderFs } from '../../hub/folder/fs.ts';
import { MAX_TEXT_BYTES } from '../../hub/folder/one-past.ts';
import { collect } from '../../hub/checksum.ts';
import { streamed } from '../../shared/pieces.ts';
import { fsyncDir, linkExclusive, publishExclusive, writeNewFile, writeNewFilesTogether } from './durable.ts';

const missing = (err: NodeJS.ErrnoException) => err.code === 'ENOENT' || err.code === 'ENOTDIR';

export class LocalFolderFs implements FolderFs {
  private readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  exists(name: string): Promise<boolean> {
    return access(this.path(name)).then(() => true, () => false);
  }

  async readText(name: string): Promise<string | undefined> {
    try {
      return Buffer.from(await collect(this.stream(name, MAX_TEXT_BYTES))).toString('utf8');
    } catch (err) {
      if (missing(err as NodeJS.ErrnoException)) return undefined;
      throw err;
    }
  }

  async scan(name: string, see: (name: string) => boolean): Promise<boolean> {
    const dir = await opendir(this.path(name)).catch((err: NodeJS.ErrnoException) => (missing(err) ? undefined : Promise.reject(err)));
    if (dir === undefined) return false;
    for await (const entry of dir) if (see(entry.name)) break; // the iterator closes the folder
    return true;
  }

  /**
   * Up to one byte past `size`: a longer file is seen as longer without being read whole. Read in
   * one call (fewer, larger reads), unless it is as large as an entry that travels streamed,
   * which is never held whole.
   */
  async *stream(name: string, size: number): AsyncGenerator<Uint8Array> {
    const file = await open(this.path(name), 'r');
    let streaming = false; // then the stream closes the file
    try {
      const length = Math.min(size, (await file.stat()).size) + 1;
      if ((streaming = streamed(length - 1))) {
        yield* file.createReadStream({ end: size }); // `end` is the last byte read
        return;
      }
      const bytes = Buffer.allocUnsafe(length);
      let got = 0;
      for (let n = -1; n !== 0 && got < bytes.length; got += n) n = (await file.read(bytes, got, bytes.length - got, got)).bytesRead;
      yield bytes.subarray(0, got);
    } finally {
      if (!streaming) await file.close();
    }
  }

  async writeNew(name: string, body: Body): Promise<void> {
    await writeNewFile(this.path(name), body);
  }

  writeNewFiles(files: Array<{ name: string; bytes: Uint8Array }>): Promise<void> {
    return writeNewFilesTogether(files.map((f) => ({ path: this.path(f.name), bytes: f.bytes })));
  }

  linkExclusive(from: string, to: string): Promise<boolean> {
    return linkExclusive(this.path(from), this.path(to));
  }

  syncFolder(name: string): Promise<void> {
    return fsyncDir(this.path(name));
  }

  publishExclusive(name: string, text: string): Promise<boolean> {
    return publishExclusive(this.path(name), text);
  }

  overwrite(name: string, text: string): Promise<void> {
    return writeFile(this.path(name), text);
  }

  async stat(name: string): Promise<{ size: number; mtimeMs: number } | undefined> {
    return stat(this.path(name)).then(({ size, mtimeMs }) => ({ size, mtimeMs }), (err: NodeJS.ErrnoException) => (missing(err) ? undefined : Promise.reject(err)));
  }

  async remove(name: string): Promise<void> {
    await unlink(this.path(name)).catch(() => {});
  }

  async mkdir(name: string): Promise<void> {
    const path = this.path(name);
    if (await mkdir(path, { recursive: true })) await fsyncDir(dirname(path)); // made now: make its name durable
  }

  async close(): Promise<void> {}

  private path(name: string): string {
    return name === '' ? this.dir : join(this.dir, name);
  }
}
