// The folder engine's file operations over SFTP (./sftp.ts), each run on the link (./link.ts),
// which opens the connection on first use and names what was being done when something fails.
import { posix } from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import type { Body } from '../../hub/remote.ts';
import type { FolderFs } from '../../hub/folder/fs.ts';
import { exists, linkExclusive, mkdirIfMissing, overwriteText, publishExclusive, readText, removeQuietly, scanNames, statFile, writeNewFile } from './sftp.ts';
import { inWindow } from '../../shared/in-window.ts';
import type { SshLink } from './link.ts';

/** Every folder along a path, shortest first (`a/b/c` → a, a/b, a/b/c), so they can be made in turn. */
function ancestry(path: string): string[] {
  const parts = path.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/')).filter((p) => p !== '' && p !== '.');
}

/** Files written at once: enough to fill the link, few enough handles open on the server. */
const FILES_AT_ONCE = 16;

export class SftpFolderFs implements FolderFs {
  private readonly link: SshLink;
  private readonly dir: string;

  constructor(link: SshLink, dir: string) {
    this.link = link;
    this.dir = dir;
  }

  exists(name: string): Promise<boolean> {
    return this.run(`looking for ${name}`, (sftp) => exists(sftp, this.path(name)));
  }

  readText(name: string): Promise<string | undefined> {
    return this.run(`reading ${name || 'the hub folder'}`, (sftp) => readText(sftp, this.path(name)));
  }

  scan(name: string, see: (name: string) => boolean): Promise<boolean> {
    return this.run(`listing ${name || 'the hub folder'}`, (sftp) => scanNames(sftp, this.path(name), see));
  }

  stream(name: string, size: number): AsyncIterable<Uint8Array> {
    return this.link.stream(`reading ${name}`, this.path(name), size);
  }

  async writeNew(name: string, body: Body): Promise<void> {
    await this.run(`writing ${name}`, (sftp) => writeNewFile(sftp, this.path(name), body));
  }

  /** All files at once on the one channel: their opens, writes and fsyncs pipelined, not one round trip after another. */
  async writeNewFiles(files: Array<{ name: string; bytes: Uint8Array }>): Promise<void> {
    await this.run(`writing ${files.length} files`, (sftp) => inWindow(files, FILES_AT_ONCE, (f) => writeNewFile(sftp, this.path(f.name), f.bytes)));
  }

  linkExclusive(from: string, to: string): Promise<boolean> {
    return this.run(`publishing ${to}`, (sftp) => linkExclusive(sftp, this.path(from), this.path(to)));
  }

  /** SFTP cannot fsync a folder: the server's own write-back makes the names durable. */
  async syncFolder(): Promise<void> {}

  publishExclusive(name: string, text: string): Promise<boolean> {
    const path = this.path(name);
    return this.run(`publishing ${name}`, (sftp) => publishExclusive(sftp, posix.dirname(path), posix.basename(path), text));
  }

  overwrite(name: string, text: string): Promise<void> {
    return this.run(`writing ${name}`, (sftp) => overwriteText(sftp, this.path(name), text));
  }

  stat(name: string): Promise<{ size: number; mtimeMs: number } | undefined> {
    return this.run(`looking at ${name}`, (sftp) => statFile(sftp, this.path(name)));
  }

  remove(name: string): Promise<void> {
    return this.run(`removing ${name}`, (sftp) => removeQuietly(sftp, this.path(name))).catch(() => {});
  }

  mkdir(name: string): Promise<void> {
    return this.run(`creating ${name || 'the hub folder'}`, async (sftp) => {
      for (const folder of name === '' ? ancestry(this.dir) : [this.path(name)]) await mkdirIfMissing(sftp, folder);
    });
  }

  async close(): Promise<void> {
    this.link.close();
  }

  private run<T>(during: string, op: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
    return this.link.run(during, op);
  }

  private path(name: string): string {
    return name === '' ? this.dir : posix.join(this.dir, name);
  }
}
