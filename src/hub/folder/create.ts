// Creating a folder hub, the same over every FolderFs: a folder of its own, the log and snapshot
// folders, then sqlferry-hub.json published exclusively (two racing creators: one wins).
import { SqlferryError } from '../../errors/index.ts';
import { hubExists } from '../errors.ts';
import type { HubInfo } from '../remote.ts';
import type { FolderFs } from './fs.ts';
import { HUB_FILE, LOG_DIR, SNAPSHOTS_DIR } from './layout.ts';

export async function createFolderHub(url: string, fs: FolderFs, info: HubInfo): Promise<void> {
  await fs.mkdir('');
  if (await fs.exists(HUB_FILE)) throw hubExists(url);
  let occupied = false;
  await fs.scan('', (name) => (occupied = !name.startsWith('.')));
  if (occupied) {
    throw new SqlferryError('HUB_DIR_NOT_EMPTY', `${url} is not empty; a hub needs a folder of its own`, { data: { url } });
  }
  await fs.mkdir(LOG_DIR);
  await fs.mkdir(SNAPSHOTS_DIR);
  if (!(await fs.publishExclusive(HUB_FILE, JSON.stringify(info, null, 2) + '\n'))) throw hubExists(url);
}
