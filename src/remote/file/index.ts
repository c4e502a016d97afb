// The folder transport: `file:///path/to/hub` or a plain path.
import { existsSync, statSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HubInfo, Remote, RemoteFactory } from '../../hub/remote.ts';
import { hubExists } from '../../hub/errors.ts';
import { SqlferryError, EXIT } from '../../errors/index.ts';
import { FileRemote, HUB_FILE } from './remote.ts';
import { fsyncDir, publishExclusive } from './durable.ts';

/** The folder a file URL or path names, absolute. */
export function folderOf(url: string): string {
  if (url.startsWith('file:')) {
    try {
      return fileURLToPath(url);
    } catch {
      throw new SqlferryError('REMOTE_URL_INVALID', `${url} is not a valid file:// URL (write file:///absolute/path)`, { data: { url }, exitCode: EXIT.usage });
    }
  }
  return isAbsolute(url) ? url : resolve(url);
}

export const fileRemote: RemoteFactory = {
  async open(url: string): Promise<Remote> {
    return new FileRemote(url, folderOf(url));
  },

  async create(url: string, info: HubInfo): Promise<Remote> {
    const dir = folderOf(url);
    if (existsSync(dir) && !statSync(dir).isDirectory()) {
      throw new SqlferryError('HUB_DIR_NOT_A_FOLDER', `${dir} is a file, not a folder; a hub needs a folder of its own`, {
        data: { dir },
        hint: 'name a new folder, e.g. sqlferry init --bare app-hub',
      });
    }
    await mkdir(dir, { recursive: true });
    const existing = (await readdir(dir)).filter((n) => !n.startsWith('.'));
    if (existing.includes(HUB_FILE)) throw hubExists(url);
    if (existing.length > 0) {
      throw new SqlferryError('HUB_DIR_NOT_EMPTY', `${dir} is not empty; a hub needs a folder of its own`, { data: { dir } });
    }
    await mkdir(join(dir, 'log'), { recursive: true });
    await mkdir(join(dir, 'snapshots'), { recursive: true });
    await fsyncDir(dir);
    if (!(await publishExclusive(join(dir, HUB_FILE), JSON.stringify(info, null, 2) + '\n'))) throw hubExists(url);
    return new FileRemote(url, dir);
  },
};
