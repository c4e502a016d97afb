// The SSH transport: `ssh://[user@]host[:port]/abs/path` or scp-like `[user@]host:path`.
import type { HubInfo, Remote, RemoteFactory } from '../../hub/remote.ts';
import { hubExists } from '../../hub/errors.ts';
import { HUB_FILE, LOG_DIR, SNAPSHOTS_DIR } from '../../hub/layout.ts';
import { SqlferryError } from '../../errors/index.ts';
import { mkdirIfMissing, publishExclusive, readdirNames } from './sftp.ts';
import { SshLink } from './link.ts';
import { SshRemote } from './remote.ts';
import { sshHostOf } from './config-file.ts';
import { parseSshUrl } from './url.ts';

/** Every folder along a path, shortest first (`a/b/c` → a, a/b, a/b/c), so they can be made in turn. */
function ancestry(path: string): string[] {
  const parts = path.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/')).filter((p) => p !== '' && p !== '.');
}

export const sshRemote: RemoteFactory = {
  async open(url: string): Promise<Remote> {
    const at = parseSshUrl(url);
    return new SshRemote(url, new SshLink(url, sshHostOf(at), at.path), at.path);
  },

  async create(url: string, info: HubInfo): Promise<Remote> {
    const at = parseSshUrl(url);
    const link = new SshLink(url, sshHostOf(at), at.path);
    const dir = at.path;
    try {
      await link.run('creating the hub', async (sftp) => {
        for (const folder of ancestry(dir)) await mkdirIfMissing(sftp, folder);
        const existing = ((await readdirNames(sftp, dir)) ?? []).filter((n) => !n.startsWith('.'));
        if (existing.includes(HUB_FILE)) throw hubExists(url);
        if (existing.length > 0) {
          throw new SqlferryError('HUB_DIR_NOT_EMPTY', `${url} is not empty; a hub needs a folder of its own`, { data: { url } });
        }
        await mkdirIfMissing(sftp, `${dir}/${LOG_DIR}`);
        await mkdirIfMissing(sftp, `${dir}/${SNAPSHOTS_DIR}`);
        if (!(await publishExclusive(sftp, dir, HUB_FILE, JSON.stringify(info, null, 2) + '\n'))) throw hubExists(url);
      });
    } catch (err) {
      link.close();
      throw err;
    }
    return new SshRemote(url, link, dir);
  },
};
