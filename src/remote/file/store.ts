// A folder of hub folders as a Store: what `sqlferry serve --store DIR` (or --root DIR) serves,
// each hub in DIR/NAME, named /NAME in messages so a client never sees the server's paths.
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { HubInfo } from '../../hub/remote.ts';
import type { HubStore, Store } from '../../hub/store.ts';
import { SqlferryError, EXIT } from '../../errors/index.ts';
import { createFolderStore, folderStore } from './index.ts';
import { FolderTokens } from './tokens.ts';

export class FolderRoot implements Store {
  readonly url: string;
  readonly tokens: FolderTokens;
  private readonly root: string;

  constructor(root: string) {
    this.root = root;
    this.url = root;
    this.tokens = new FolderTokens(root);
  }

  hub(name: string): HubStore {
    return folderStore(`/${name}`, join(this.root, name));
  }

  createHub(name: string, info: HubInfo): Promise<HubStore> {
    return createFolderStore(`/${name}`, join(this.root, name), info);
  }

  async close(): Promise<void> {}
}

/** The folder `root` as a store; it must exist. */
export function openFolderRoot(root: string): FolderRoot {
  const dir = resolve(root);
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new SqlferryError('SERVE_ROOT_MISSING', `${dir} is not a folder`, { exitCode: EXIT.usage, hint: 'create it, or name the folder that holds your hubs with --store DIR' });
  }
  return new FolderRoot(dir);
}
