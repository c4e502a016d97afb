// The SSH transport: `ssh://[user@]host[:port]/abs/path` or scp-like `[user@]host:path`. The
// folder engine (src/hub/folder/) over plain SFTP, nothing installed on the server, with the hub's
// rules above it (src/hub/stored-hub.ts).
import type { HubInfo, Remote, RemoteFactory } from '../../hub/remote.ts';
import { StoredHub } from '../../hub/stored-hub.ts';
import { FolderStore } from '../../hub/folder/store.ts';
import { createFolderHub } from '../../hub/folder/create.ts';
import { SshLink } from './link.ts';
import { SftpFolderFs } from './folder-fs.ts';
import { sshHostOf } from './config-file.ts';
import { parseSshUrl } from './url.ts';

/** Metadata files read at once by list(): each is a round trip, so a window keeps a slow link busy. */
const LIST_WINDOW = 32;

function sftpFolder(url: string): SftpFolderFs {
  const at = parseSshUrl(url);
  return new SftpFolderFs(new SshLink(url, sshHostOf(at), at.path), at.path);
}

export const sshRemote: RemoteFactory = {
  async open(url: string): Promise<Remote> {
    return new StoredHub(new FolderStore(url, sftpFolder(url), LIST_WINDOW));
  },

  async create(url: string, info: HubInfo): Promise<Remote> {
    const fs = sftpFolder(url);
    try {
      await createFolderHub(url, fs, info);
    } catch (err) {
      await fs.close();
      throw err;
    }
    return new StoredHub(new FolderStore(url, fs, LIST_WINDOW));
  },
};
