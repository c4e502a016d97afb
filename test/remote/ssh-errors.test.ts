// The SSH transport against a real sshd, where things go wrong: unknown, changed and hashed host
// keys, refused and missing keys, the agent, nothing listening, a server that never answers;
// and the layout shared with the folder transport.
import { describe, it, expect, beforeEach, afterAll } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { userInfo } from 'node:os';
import { startSshd, freePort } from './sshd.ts';
import { addGenesis, chain, changeset, hubInfo } from './hub-fixtures.ts';
import { sshRemote } from '../../src/remote/ssh/index.ts';
import { fileRemote } from '../../src/remote/file/index.ts';
import { parseSshUrl } from '../../src/remote/ssh/url.ts';
import { collect } from '../../src/hub/checksum.ts';
import { EXIT } from '../../src/errors/index.ts';
import { cli } from '../repo/helpers.ts';

const sshd = await startSshd();
afterAll(() => sshd.stop());
const knownHosts = join(sshd.home, '.ssh', 'known_hosts');
const goodKnownHosts = readFileSync(knownHosts, 'utf8');
const url = (path = `${sshd.dir}/nohub`, port = sshd.port) => `ssh://${sshd.user}@127.0.0.1:${port}${path}`;
let n = 0;

beforeEach(() => {
  process.env.HOME = sshd.home;
  for (const v of ['SSH_AUTH_SOCK', 'SQLFERRY_SSH_KEY', 'SQLFERRY_SSH_ACCEPT_NEW', 'SQLFERRY_TIMEOUT', 'SQLFERRY_SSH_CONFIG']) delete process.env[v];
  writeFileSync(knownHosts, goodKnownHosts);
});

async function info(u = url()) {
  const remote = await sshRemote.open(u);
  try {
    return await remote.info();
  } finally {
    await remote.close();
  }
}

describe('ssh: is it the right server', () => {
  it('refuses an unknown host with its fingerprint and how to add it', async () => {
    writeFileSync(knownHosts, '');
    const err = await info().catch((e) => e);
    expect(err).toMatchObject({ code: 'SSH_HOST_UNKNOWN' });
    expect(err.message).toMatch(/^the SSH host \[127\.0\.0\.1\]:\d+ is not in .*known_hosts, so sqlferry cannot tell it is the right server \(its ssh-ed25519 key is SHA256:/);
    expect(err.hint).toContain('SQLFERRY_SSH_ACCEPT_NEW=1');
  });

  it('records an unknown host with SQLFERRY_SSH_ACCEPT_NEW=1, then knows it', async () => {
    writeFileSync(knownHosts, '');
    process.env.SQLFERRY_SSH_ACCEPT_NEW = '1';
    await expect(info()).rejects.toMatchObject({ code: 'HUB_NOT_FOUND' });
    expect(readFileSync(knownHosts, 'utf8')).toBe(`[127.0.0.1]:${sshd.port} ${sshd.hostKey}\n`);
    delete process.env.SQLFERRY_SSH_ACCEPT_NEW;
    await expect(info()).rejects.toMatchObject({ code: 'HUB_NOT_FOUND' });
  });

  it('always refuses a changed host key, loudly', async () => {
    const other = join(sshd.dir, `other${n++}`);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const wrong = readFileSync(`${other}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
    writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${wrong}\n`);
    process.env.SQLFERRY_SSH_ACCEPT_NEW = '1';
    const err = await info().catch((e) => e);
    expect(err).toMatchObject({ code: 'SSH_HOST_KEY_CHANGED' });
    expect(err.message).toMatch(/^REFUSED: the ssh-ed25519 host key of \[127\.0\.0\.1\]:\d+ \(SHA256:.*\) does not match the one recorded in .*; someone may be intercepting the connection$/);
    expect(err.hint).toContain('ssh-keygen -R');
  });

  it('reads hashed known_hosts entries, as `ssh-keygen -H` writes them', async () => {
    execFileSync('ssh-keygen', ['-q', '-H', '-f', knownHosts], { stdio: 'ignore' });
    expect(readFileSync(knownHosts, 'utf8')).toMatch(/^\|1\|/);
    await expect(info()).rejects.toMatchObject({ code: 'HUB_NOT_FOUND' });
  });
});

describe('ssh: who logs in', () => {
  const key = (name: string) => {
    const file = join(sshd.dir, `${name}${n++}`);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file]);
    return file;
  };

  it('says which keys the server refused', async () => {
    process.env.SQLFERRY_SSH_KEY = key('stranger');
    const err = await info().catch((e) => e);
    expect(err).toMatchObject({ code: 'SSH_AUTH_FAILED' });
    expect(err.message).toBe(`the SSH server for ${url()} did not let ${sshd.user} log in with ${process.env.SQLFERRY_SSH_KEY}`);
  });

  it('logs in with the key SQLFERRY_SSH_KEY names, and explains an unreadable one', async () => {
    const copy = join(sshd.dir, `named${n++}`);
    copyFileSync(join(sshd.home, '.ssh', 'id_ed25519'), copy);
    process.env.HOME = join(sshd.dir, 'empty-home');
    mkdirSync(join(process.env.HOME, '.ssh'), { recursive: true });
    writeFileSync(join(process.env.HOME, '.ssh', 'known_hosts'), goodKnownHosts);
    await expect(info()).rejects.toMatchObject({ code: 'SSH_NO_IDENTITY' });
    process.env.SQLFERRY_SSH_KEY = copy;
    await expect(info()).rejects.toMatchObject({ code: 'HUB_NOT_FOUND' });
    process.env.SQLFERRY_SSH_KEY = join(sshd.dir, 'no-such-key');
    await expect(info()).rejects.toMatchObject({ code: 'SSH_KEY_UNREADABLE' });
  });

  it('logs in through the SSH agent', async () => {
    const sock = join(sshd.dir, `agent${n++}.sock`);
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 200; i++) {
        try {
          execFileSync('ssh-add', [join(sshd.home, '.ssh', 'id_ed25519')], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 10)); // the agent's socket is not there yet
        }
      }
      process.env.SSH_AUTH_SOCK = sock;
      process.env.SQLFERRY_SSH_KEY = key('stranger'); // refused, so the agent must be what works
      await expect(info()).rejects.toMatchObject({ code: 'HUB_NOT_FOUND' });
    } finally {
      agent.kill();
    }
  });
});

describe('ssh: nobody there', () => {
  it('says so at once when nothing listens on the port', async () => {
    const err = await info(url('/x', await freePort())).catch((e) => e);
    expect(err).toMatchObject({ code: 'HUB_UNREACHABLE' });
    expect(err.message).toMatch(/^cannot connect to 127\.0\.0\.1:\d+ for ssh:.*: connection refused \(nothing is listening on that port\)$/);
  });

  it('says so from the command line too, where the refusal comes while the keys and ssh2 load', async () => {
    const dir = join(sshd.dir, `cli${n++}`);
    mkdirSync(dir);
    const r = cli(dir, 'clone', url('/x', await freePort()), 'out.db');
    expect(r.status).toBe(EXIT.failure);
    expect(r.stderr).toMatch(/^error: cannot connect to 127\.0\.0\.1:\d+ for ssh:.*: connection refused \(nothing is listening on that port\)\n/);
  });

  it('gives up within SQLFERRY_TIMEOUT when the server never answers', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok));
    process.env.SQLFERRY_TIMEOUT = '1';
    const started = Date.now();
    const err = await info(url('/x', (silent.address() as { port: number }).port)).catch((e) => e);
    silent.close();
    expect(err).toMatchObject({ code: 'HUB_TIMEOUT' });
    expect(err.message).toMatch(/did not answer within 1 s while connecting/);
    expect(Date.now() - started).toBeLessThan(15_000); // 1 s, and room for a busy machine
  });
});

describe('ssh: no algorithm in common', () => {
  it('says the server allows no algorithm sqlferry has, not that it is unreachable', async () => {
    // A post-quantum key exchange alone: OpenSSH has it, ssh2 does not.
    const server = await startSshd(['KexAlgorithms sntrup761x25519-sha512@openssh.com']);
    process.env.HOME = server.home;
    try {
      const err = await info(`ssh://${server.user}@127.0.0.1:${server.port}${server.dir}/nohub`).catch((e) => e);
      expect(err).toMatchObject({ code: 'SSH_HANDSHAKE_FAILED' });
      expect(err.message).toMatch(/^the SSH server 127\.0\.0\.1:\d+ and sqlferry share no algorithm to talk with for ssh:.*\(Handshake failed: no matching key exchange algorithm\)$/);
      expect(err.hint).toContain('KexAlgorithms');
    } finally {
      await server.stop();
    }
  });
});

describe('ssh: one layout with the folder transport', () => {
  it('reads over SSH what a folder wrote, and the other way round', async () => {
    const dir = join(sshd.dir, `shared${n++}`);
    const local = await fileRemote.create(dir, hubInfo());
    await addGenesis(local);
    const one = changeset('written through the folder');
    const two = changeset('written over SFTP');
    const [first, second] = chain([one, two]);
    await local.append(first!, one);
    const remote = await sshRemote.open(url(dir));
    expect(Buffer.compare(await collect((await remote.read(1)).body), one)).toBe(0);
    await remote.append(second!, two);
    await remote.close();
    expect(Buffer.compare(await collect((await local.read(2)).body), two)).toBe(0);
    expect(await local.list(0)).toEqual([first, second]);
  });

  it('resolves a home-relative path (ssh://host/~/path) from the login\'s home', async () => {
    const dir = join(sshd.dir, `relative${n++}`);
    await fileRemote.create(dir, hubInfo());
    const fromHome = relative(userInfo().homedir, dir); // sshd starts SFTP in the passwd home
    await expect(info(url(`/~/${fromHome}`))).resolves.toMatchObject({ format: 'sqlferry-hub' });
  });
});

describe('ssh URLs', () => {
  it('parses ssh:// and scp-like forms, leaving an unnamed user and port to ~/.ssh/config', () => {
    expect(parseSshUrl('ssh://alice@hub.example:2222/srv/hubs/app')).toEqual({ host: 'hub.example', port: 2222, user: 'alice', path: '/srv/hubs/app' });
    expect(parseSshUrl('ssh://alice@hub.example/~/hubs/app')).toMatchObject({ port: undefined, path: 'hubs/app' });
    expect(parseSshUrl('alice@hub.example:hubs/app')).toEqual({ host: 'hub.example', port: undefined, user: 'alice', path: 'hubs/app' });
    expect(parseSshUrl('alice@hub.example:/srv/app')).toMatchObject({ path: '/srv/app' });
    expect(parseSshUrl('hub.example:~/app')).toMatchObject({ user: undefined, path: 'app' });
    expect(parseSshUrl('ssh://[::1]:2200/h')).toMatchObject({ host: '::1', port: 2200 });
  });

  it('refuses a URL without a hub path in one sentence', () => {
    expect(() => parseSshUrl('ssh://alice@hub.example')).toThrow('ssh://alice@hub.example is not a valid SSH remote URL: the path of the hub folder is missing');
    expect(() => parseSshUrl('alice@hub.example:')).toThrow(/the path of the hub folder is missing/);
  });
});
