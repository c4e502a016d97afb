// ~/.ssh/config against a real sshd: a Host alias reaches the hub by every URL form, the URL's
// own port wins, Host * comes last, Include, accept-new, a changed key, ProxyJump, and a broken
// file. Each test logs in from an empty HOME, so only what the config names can work.
import { describe, it, expect, beforeEach, afterAll } from 'vitest';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { execFileSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { userInfo } from 'node:os';
import { startSshd, freePort } from './sshd.ts';
import { hubInfo } from './conformance.ts';
import { sshRemote } from '../../src/remote/ssh/index.ts';
import { fileRemote } from '../../src/remote/file/index.ts';
import { openRemote } from '../../src/remote/registry.ts';

const sshd = await startSshd();
afterAll(() => sshd.stop());
const key = join(sshd.dir, 'config_key');
copyFileSync(join(sshd.home, '.ssh', 'id_ed25519'), key);
const hub = join(sshd.dir, 'config-hub');
await fileRemote.create(hub, hubInfo());
let n = 0;
let home = '';
let knownHosts = '';

/** The lines every alias needs; the test's own lines come first, so they win. */
const reach = (port = sshd.port) => [`  HostName 127.0.0.1`, `  Port ${port}`, `  User ${sshd.user}`, `  IdentityFile ${key}`, `  UserKnownHostsFile ${knownHosts}`];
const config = (...lines: string[]) => writeFileSync(process.env.SQLFERRY_SSH_CONFIG!, lines.join('\n') + '\n');

beforeEach(() => {
  home = join(sshd.dir, `home${n++}`);
  mkdirSync(join(home, '.ssh'), { recursive: true });
  knownHosts = join(home, 'known');
  writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${sshd.hostKey}\n`);
  process.env.HOME = home;
  process.env.SQLFERRY_SSH_CONFIG = join(home, '.ssh', 'config');
  for (const v of ['SSH_AUTH_SOCK', 'SQLFERRY_SSH_KEY', 'SQLFERRY_SSH_ACCEPT_NEW', 'SQLFERRY_TIMEOUT']) delete process.env[v];
});

async function info(url: string) {
  const remote = await openRemote(url);
  try {
    return await remote.info();
  } finally {
    await remote.close();
  }
}

describe('ssh config: reaching the hub by an alias', () => {
  it('reaches it as ssh://alias/path and alias:path', async () => {
    config('Host hubby', ...reach());
    await expect(info(`ssh://hubby${hub}`)).resolves.toMatchObject({ format: 'sqlferry-hub' });
    await expect(info(`hubby:${relative(userInfo().homedir, hub)}`)).resolves.toMatchObject({ format: 'sqlferry-hub' });
  });

  it('lets the URL\'s own port win over the config\'s', async () => {
    config('Host hubby', ...reach(await freePort()));
    await expect(info(`ssh://hubby${hub}`)).rejects.toMatchObject({ code: 'HUB_UNREACHABLE' });
    await expect(info(`ssh://hubby:${sshd.port}${hub}`)).resolves.toMatchObject({ format: 'sqlferry-hub' });
  });

  it('applies Host * defaults after the specific host, and reads Include relative to ~/.ssh', async () => {
    mkdirSync(join(home, '.ssh', 'conf.d'));
    writeFileSync(join(home, '.ssh', 'conf.d', 'hub.conf'), `Host hubby\n  HostName 127.0.0.1\n  Port ${sshd.port}\n`);
    config('Include conf.d/*.conf', 'Host *', ...reach(1));
    await expect(info(`ssh://hubby${hub}`)).resolves.toMatchObject({ format: 'sqlferry-hub' });
  });

  it('goes through a ProxyJump host', async () => {
    let through = 0; // connections to the jump host, which is only reachable this way
    const proxy = createServer((c) => {
      through++;
      const up = connect(sshd.port, '127.0.0.1');
      c.pipe(up).pipe(c);
      c.on('error', () => {}), up.on('error', () => {});
    });
    await new Promise<void>((ok) => proxy.listen(0, '127.0.0.1', ok));
    const jumpPort = (proxy.address() as { port: number }).port;
    writeFileSync(knownHosts, `[127.0.0.1]:${jumpPort} ${sshd.hostKey}\n[127.0.0.1]:${sshd.port} ${sshd.hostKey}\n`);
    config('Host hubby', '  ProxyJump jumper', ...reach(), `Host jumper`, ...reach(jumpPort));
    await expect(info(`ssh://hubby${hub}`)).resolves.toMatchObject({ format: 'sqlferry-hub' });
    proxy.close();
    expect(through).toBe(1);
  });
});

describe('ssh config: host keys', () => {
  it('records an unknown host with StrictHostKeyChecking accept-new', async () => {
    writeFileSync(knownHosts, '');
    config('Host hubby', '  StrictHostKeyChecking accept-new', ...reach());
    await expect(info(`ssh://hubby${hub}`)).resolves.toMatchObject({ format: 'sqlferry-hub' });
    expect(readFileSync(knownHosts, 'utf8')).toBe(`[127.0.0.1]:${sshd.port} ${sshd.hostKey}\n`);
  });

  it('refuses a changed key even with StrictHostKeyChecking no, and says why', async () => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(home, 'other')]);
    writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${readFileSync(join(home, 'other.pub'), 'utf8')}`);
    config('Host hubby', '  StrictHostKeyChecking no', ...reach());
    const err = await info(`ssh://hubby${hub}`).catch((e) => e);
    expect(err).toMatchObject({ code: 'SSH_HOST_KEY_CHANGED' });
    expect(err.hint).toContain('StrictHostKeyChecking no only records new hosts: sqlferry never accepts a changed key');
  });
});

describe('ssh config: a file that cannot be used', () => {
  it('names the file and the line', async () => {
    config('Host hubby', '  Port twenty-two');
    const err = await sshRemote.open(`ssh://hubby${hub}`).catch((e) => e);
    expect(err).toMatchObject({ code: 'SSH_CONFIG_INVALID', data: { file: process.env.SQLFERRY_SSH_CONFIG, line: 2 } });
    expect(err.message).toBe(`cannot use the SSH config file ${process.env.SQLFERRY_SSH_CONFIG}: line 2: Port must be a number from 1 to 65535, not "twenty-two"`);
  });

  it('says so when SQLFERRY_SSH_CONFIG names a file that is not there', async () => {
    const err = await sshRemote.open(`ssh://hubby${hub}`).catch((e) => e);
    expect(err).toMatchObject({ code: 'SSH_CONFIG_UNREADABLE' });
    expect(err.message).toMatch(/^cannot read the SSH config file .*config named by SQLFERRY_SSH_CONFIG \(ENOENT/);
  });
});
