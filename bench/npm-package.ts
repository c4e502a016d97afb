// Shared by the start-up benchmarks (noop-sync.ts, noop-commands.ts): the npm package as a user
// gets it, this checkout's or a git revision's, and one command timed as a user runs it.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

/** The npm package of the checkout `from`: npm pack's tarball installed into a prefix of its own under `dir`; returns its bin. */
export function installPackage(from: string, name: string, dir: string, env: NodeJS.ProcessEnv): string {
  const must = (args: string[]) => {
    const r = spawnSync('npm', args, { cwd: from, env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`npm ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const tarball = join(dir, must(['pack', '--pack-destination', dir, '--silent']).trim().split('\n').at(-1)!);
  const prefix = join(dir, `prefix-${name}`);
  must(['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball]);
  return join(prefix, 'bin', 'sqlferry');
}

/** Revision `rev` of this repository, unpacked under `dir`, with this checkout's node_modules. */
export function checkoutOf(rev: string, dir: string): string {
  const to = join(dir, `src-${rev}`);
  mkdirSync(to);
  execFileSync('bash', ['-c', 'git -C "$0" archive "$1" | tar -x -C "$2"', root, rev, to]);
  symlinkSync(join(root, 'node_modules'), join(to, 'node_modules'));
  return to;
}

export interface Timed { wall: number; cpu: number }

/**
 * Wall and CPU (user + system) time of one run, from bash's `time`; asynchronous, so a proxy
 * in the calling process keeps passing bytes. Its stderr goes to `errFile`, shown if it fails.
 */
export async function timed(argv: string[], cwd: string, env: NodeJS.ProcessEnv, errFile: string): Promise<Timed> {
  const child = spawn('bash', ['-c', 'TIMEFORMAT="%3R %3U %3S"; { time "$@" >/dev/null 2>"$0"; } 2>&1', errFile, ...argv], { cwd, env, stdio: ['ignore', 'pipe', 'ignore'] });
  let timing = '';
  child.stdout.on('data', (d) => (timing += d));
  const code = await new Promise<number | null>((ok) => child.on('close', ok));
  if (code !== 0) throw new Error(`${argv.join(' ')}: ${readFileSync(errFile, 'utf8')}`);
  const [wall, user, system] = timing.trim().split('\n').at(-1)!.split(' ').map(Number);
  return { wall: wall!, cpu: user! + system! };
}

export const median = (t: number[]): number => [...t].sort((a, b) => a - b)[Math.floor(t.length / 2)]!;
