// A real PostgreSQL for tests (Debian's `postgresql` package): initdb in a temp folder, pg_ctl on
// a free loopback port, run as a non-root user (PostgreSQL refuses to run as root). TCP logins
// need a password (scram-sha-256), which sqlferry finds the PostgreSQL way: a password file named
// by PGPASSFILE, set here for this process and the CLIs it starts. Tests skip, saying why, when
// the binaries are not installed.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdtempSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { basename, join } from 'node:path';
import { freePort } from './sshd.ts';

export interface TestPostgres {
  port: number;
  /** A store URL: postgres://sqlferry@127.0.0.1:PORT/DATABASE */
  storeUrl(database: string): string;
  createDatabase(name: string): void;
  stop(): void;
  start(): void;
}

/** The folder of initdb and pg_ctl, or undefined when PostgreSQL is not installed. */
export function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] && join(root, versions[0], 'bin');
}

export const PASSWORD = 'sqlferry-test-password';

export const SKIP_POSTGRES = postgresBin() === undefined ? 'PostgreSQL tests skipped: no initdb under /usr/lib/postgresql/*/bin (apt-get install postgresql)' : undefined;

/** Runs a PostgreSQL binary as `user` (root may not run the server). */
function runAs(user: string | undefined, bin: string, args: string[]): string {
  return user ? execFileSync('runuser', ['-u', user, '--', bin, ...args], { encoding: 'utf8' }) : execFileSync(bin, args, { encoding: 'utf8' });
}

function serverUser(): string | undefined {
  if (userInfo().uid !== 0) return undefined;
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
    return 'postgres';
  } catch {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'sqlferrypg']);
    return 'sqlferrypg';
  }
}

function initdb(bin: string, user: string | undefined, dir: string, data: string, durable: boolean): void {
  writeFileSync(join(dir, 'pwfile'), PASSWORD);
  runAs(user, join(bin, 'initdb'), ['-D', data, '-U', 'sqlferry', '--pwfile', join(dir, 'pwfile'), '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', ...(durable ? [] : ['--no-sync'])]);
}

/**
 * One initdb per test run (about a second of CPU each): later clusters are copies of it. Two
 * workers may race to make it; each builds its own and the first rename wins.
 */
function templateCluster(bin: string, user: string | undefined): string {
  const template = join(tmpdir(), 'sqlferry-pg-template');
  if (existsSync(template)) return template;
  const building = mkdtempSync(join(tmpdir(), 'sqlferry-pg-template-'));
  chmodSync(building, 0o755);
  if (user) execFileSync('chown', [`${user}:`, building]);
  initdb(bin, user, building, join(building, 'data'), false);
  try {
    renameSync(join(building, 'data'), template);
  } catch (err) {
    if (!existsSync(template)) throw err;
  }
  return template;
}

/** `durable`: fsync on, as in production (tests turn it off: they never crash the machine). */
export async function startPostgres(opts: { durable?: boolean } = {}): Promise<TestPostgres> {
  const bin = postgresBin()!;
  const user = serverUser();
  // The run's temp folder (test/global-setup.ts) is private to root; the server's user must pass through it.
  if (user && basename(tmpdir()).startsWith('sqlferry-tests-')) chmodSync(tmpdir(), 0o711);
  const dir = mkdtempSync(join(tmpdir(), 'sqlferry-pg-'));
  chmodSync(dir, 0o755);
  if (user) {
    const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }));
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  if (opts.durable) initdb(bin, user, dir, data, true);
  else cpSync(templateCluster(bin, user), data, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
  chmodSync(data, 0o700); // cpSync makes the folder with the default mode; PostgreSQL wants 0700
  if (user) execFileSync('chown', ['-R', `${user}:`, data]);
  const passFile = join(dir, 'pgpass');
  writeFileSync(passFile, `127.0.0.1:*:*:sqlferry:${PASSWORD}\n`, { mode: 0o600 });
  process.env.PGPASSFILE = passFile;
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=${opts.durable ? 'on' : 'off'} -c max_connections=200`;
  const pgctl = (...args: string[]) => runAs(user, join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'log'), ...args]);
  const psql = (sql: string) => execFileSync(join(bin, 'psql'), ['-h', dir, '-p', String(port), '-U', 'sqlferry', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-c', sql], { stdio: 'ignore' });
  const start = () => void pgctl('-o', options, '-w', '-t', '120', 'start');
  start();
  return {
    port,
    storeUrl: (database) => `postgres://sqlferry@127.0.0.1:${port}/${database}`,
    createDatabase: (name) => psql(`CREATE DATABASE "${name}"`),
    stop: () => {
      if (existsSync(join(data, 'postmaster.pid'))) pgctl('-m', 'fast', '-w', 'stop');
    },
    start,
  };
}
