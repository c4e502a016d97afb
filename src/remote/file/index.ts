// The folder transport: `file:///path/to/hub` or a plain path. The folder engine
// (src/hub/folder/) over the local disk, with the hub's rules above it (src/hub/stored-hub.ts).
import { existsSync, statSync } from 'node:fs';
import type { HubInfo, Remote, RemoteFactory } from '../../hub/remote.ts';
import { StoredHub } from '../../hub/stored-hub.ts';
import { FolderStore } from '../../hub/folder/store.ts';
import { createFolderHub } from '../../hub/folder/create.ts';
import { SqlferryError } from '../../errors/index.ts';
import { LocalFolderFs } from './folder-fs.ts';
import { folderOf } from './folder-path.ts';

export { folderOf };

/** Metadata files read at once by list(): enough to overlap, few enough file descriptors. */
const LIST_WINDOW = 64;

/** The hub in folder `dir`, named `url` in messages. */
export function folderStore(url: string, dir: string): FolderStore {
  return new FolderStore(url, new LocalFolderFs(dir), LIST_WINDOW);
}

/** Creates a hub in folder `dir` (a new or empty folder). */
export async function createFolderStore(url: string, dir: string, info: HubInfo): Promise<FolderStore> {
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new SqlferryError('HUB_DIR_NOT_A_FOLDER', `${url} is a file, not a folder; a hub needs a folder of its own`, {
      data: { dir },
      hint: 'name a new folder, e.g. sqlferry init --bare app-hub',
    });
  }
  const store = folderStore(url, dir);
  await createFolderHub(url, new LocalFolderFs(dir), info);
  return store;
}

export const fileRemote: RemoteFactory = {
  async open(url: string): Promise<Remote> {
    return new StoredHub(folderStore(url, folderOf(url)));
  },

  async create(url: string, info: HubInfo): Promise<Remote> {
    return new StoredHub(await createFolderStore(url, folderOf(url), info));
  },
};
