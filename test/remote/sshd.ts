// A real OpenSSH sshd for tests: its own host key, config and authorized_keys in a temp folder,
// on 127.0.0.1 and a free port, and a temp HOME holding the user's key and known_hosts.
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export interface TestSshd {
  port: number;
  user: string;
  /** The temp HOME: .ssh/id_ed25519 (authorized) and .ssh/known_hosts (this server's key). */
  home: string;
  /** `ssh-ed25519 AAAA…` of the server's host key. */
  hostKey: string;
  dir: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  await new Promise((ok) => server.close(ok));
  return port;
}

const keygen = (file: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'sqlferry-test', '-f', file]);

async function listening(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const s = connect(port, '127.0.0.1', () => (s.destroy(), ok(true)));
    s.on('error', () => ok(false));
  });
}

/** `config`: more sshd_config lines (e.g. `KexAlgorithms …`). */
export async function startSshd(config: string[] = []): Promise<TestSshd> {
  const dir = await mkdtemp(join(tmpdir(), 'sqlferry-sshd-'));
  const home = join(dir, 'home');
  mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
  keygen(join(dir, 'host_ed25519'));
  keygen(join(home, '.ssh', 'id_ed25519'));
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(home, '.ssh', 'id_ed25519.pub')));
  const hostKey = readFileSync(join(dir, 'host_ed25519.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
  const port = await freePort();
  writeFileSync(join(home, '.ssh', 'known_hosts'), `[127.0.0.1]:${port} ${hostKey}\n`);
  writeFileSync(join(dir, 'sshd_config'), [
    `ListenAddress 127.0.0.1:${port}`, `HostKey ${join(dir, 'host_ed25519')}`, `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PidFile none', 'UsePAM no', 'StrictModes no', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes', 'PermitRootLogin yes', 'Subsystem sftp internal-sftp', 'MaxStartups 100', 'MaxSessions 100', 'LogLevel ERROR', ...config, '',
  ].join('\n'));
  if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation dir
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((ok) => child.on('exit', () => ok()));
  let up = false;
  for (const start = Date.now(); !up && Date.now() - start < 60_000 && child.exitCode === null; ) {
    up = await listening(port);
    if (!up) await new Promise((r) => setTimeout(r, 20));
  }
  if (!up) {
    child.kill('SIGKILL');
    throw new Error(`sshd did not start on port ${port}: ${stderr}`);
  }
  return {
    port, user: userInfo().username, home, hostKey, dir,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
