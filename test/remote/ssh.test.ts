// The shared conformance suite over SFTP against a real OpenSSH sshd (see sshd.ts).
import { mkdtemp, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { remoteConformance } from './conformance.ts';
import { droppingLink } from './dropping-link.ts';
import { startSshd } from './sshd.ts';
import { sshRemote } from '../../src/remote/ssh/index.ts';
import { openRemote } from '../../src/remote/registry.ts';
import { folderStore } from '../../src/remote/file/index.ts';

const sshd = await startSshd();
process.env.HOME = sshd.home; // keys and known_hosts as a user has them; worker processes inherit it
delete process.env.SSH_AUTH_SOCK;
delete process.env.SQLFERRY_SSH_KEY;
delete process.env.SQLFERRY_SSH_ACCEPT_NEW;
delete process.env.SQLFERRY_SSH_CONFIG;
afterAll(() => sshd.stop());

const hubs = await mkdtemp(join(sshd.dir, 'hubs-'));
const pathOf = (url: string) => new URL(url).pathname;
let n = 0;

remoteConformance('ssh', {
  freshUrl: async () => `ssh://${sshd.user}@127.0.0.1:${sshd.port}${hubs}/hub${n++}`,
  create: (url, info) => sshRemote.create(url, info),
  open: (url) => openRemote(url),
  storeOf: async (url) => folderStore(url, pathOf(url)), // the sshd runs here: the same folder, read locally
  async throughDroppingLink(url, direction, bytes) {
    const link = await droppingLink({ host: '127.0.0.1', port: sshd.port }, direction, bytes);
    await appendFile(join(sshd.home, '.ssh', 'known_hosts'), `[127.0.0.1]:${link.port} ${sshd.hostKey}\n`);
    return { url: `ssh://${sshd.user}@127.0.0.1:${link.port}${pathOf(url)}`, close: link.close };
  },
});
