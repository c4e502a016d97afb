// Benchmark: peak memory of `push`, `pull` and `clone` (CLI processes, start-up counted) for one
// bulk entry — `rows` new rows (default 3,000,000, a ≈240 MB changeset) — through a folder hub and
// through `sqlferry serve` (whose own peak is read from /proc/PID/status VmHWM before it stops).
// Issue 15's target: ≤ 128 MB for each, whatever the size of the change.
// Clones: from the hub as the push left it (a snapshot at entry 1), and from the hub without that
// snapshot (genesis, then entry 1 replayed: the clone pulls the whole entry). Over SSH too, to a
// real sshd on 127.0.0.1 (test/remote/sshd.ts). A step that fails says so in its cell.
// Run: npx node bench/bulk-transfer.ts [rows]
// SQLFERRY_BENCH_BIN=/other/checkout/bin/sqlferry.js runs another build's CLI; with
// SQLFERRY_BENCH_BEFORE=/older/bin/sqlferry.js too, each step runs with both, side by side.
// SQLFERRY_BENCH_STEPS='pull, SSH;clone' runs only the steps whose names start so (';' between).
// SQLFERRY_BENCH_KIND=patchset makes the hub a patchset hub (init --format patchset).
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import { Replica } from '../src/repo/replica.ts';
import { commit } from '../src/repo/capture/commit.ts';
import { initHub } from '../src/sync/init-hub.ts';
import { addRemote } from '../src/sync/remotes.ts';
import { stampSidecar } from '../src/repo/sidecar-stamp.ts';
import { startSshd } from '../test/remote/sshd.ts';

const rows = Number(process.argv[2] ?? 3_000_000);
const after = process.env.SQLFERRY_BENCH_BIN ?? fileURLToPath(new URL('../bin/sqlferry.js', import.meta.url));
const bins: Array<[string, string]> = process.env.SQLFERRY_BENCH_BEFORE ? [['before', process.env.SQLFERRY_BENCH_BEFORE], ['after', after]] : [['this', after]];
const sshd = await startSshd();
const dir = mkdtempSync(join(sshd.dir, 'bulk-'));
const w = join(dir, 'w'); // every run works here: the replicas' remote URLs name it
const env: NodeJS.ProcessEnv = { ...process.env, HOME: sshd.home, NODE_COMPILE_CACHE: join(dir, 'compile-cache') };
delete env.SQLFERRY_TOKEN;
delete env.SSH_AUTH_SOCK;
const sshHub = `ssh://${sshd.user}@127.0.0.1:${sshd.port}${join(w, 'store', 'bulk')}`;

function restore(state: string): void {
  rmSync(w, { recursive: true, force: true });
  cpSync(join(dir, state), w, { recursive: true });
  // A copied sidecar stats unlike what sqlferry left, so a push would first check the whole base
  // snapshot against the log: stamped as sqlferry leaves it, the copy is the replica a user has.
  for (const db of ['a.db', 'b.db']) stampSidecar(Replica.open(join(w, db)).paths, false);
}
function keep(state: string): void {
  cpSync(w, join(dir, state), { recursive: true });
}

/** Peak RSS (MB) and wall seconds of a CLI command, from GNU time. */
async function measured(bin: string, args: string[]): Promise<{ s: number; mb: number }> {
  const child = spawn('/usr/bin/time', ['-f', '%e %M', process.execPath, bin, '-q', ...args], { env, cwd: w });
  let err = '';
  child.stdout.resume();
  child.stderr.on('data', (d: Buffer) => (err += d));
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (status !== 0) throw new Error(`${args.join(' ')} failed: ${err}`);
  const [s, kb] = err.trim().split('\n').at(-1)!.split(' ').map(Number);
  return { s: s!, mb: kb! / 1024 };
}

/** `sqlferry serve` over the work area's store while `fn` runs; its own peak RSS (MB). */
async function served<T>(bin: string, fn: (url: string) => Promise<T>): Promise<{ result: T; serveMb: number }> {
  const child = spawn(process.execPath, [bin, 'serve', '--store', join(w, 'store'), '--port', '0', '--no-auth', '--max-entry-mb', '4096'], { env });
  let said = '';
  child.stderr.on('data', (d: Buffer) => (said += d));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      const m = /at (http:\/\/\S+)\/NAME/.exec(out);
      if (m) resolve(`${m[1]!}/bulk`);
    });
    child.on('exit', () => reject(new Error(`serve stopped: ${out}`)));
  });
  try {
    const result = await fn(url).catch((err: Error) => {
      throw new Error(`${err.message}\nserve said: ${said}`);
    });
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))!;
    return { result, serveMb: Number(hwm[1]) / 1024 };
  } finally {
    child.kill();
  }
}

console.log(`# ${new Date().toISOString()}: bulk entry of ${rows.toLocaleString('en')} rows to a ${process.env.SQLFERRY_BENCH_KIND ?? 'changeset'} hub, in ${dir}; ${cpus().length} × ${cpus()[0]?.model}, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
mkdirSync(w);
await initHub(join(w, 'store', 'bulk'), process.env.SQLFERRY_BENCH_KIND ?? 'changeset');
const aPath = join(w, 'a.db');
const a0 = new DatabaseSync(aPath);
a0.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, amount REAL, qty INTEGER, note TEXT)');
a0.close();
const a = Replica.init(aPath);
addRemote(a, 'origin', join(w, 'store', 'bulk'));
const setup = (...args: string[]) => measured(after, args);
await setup('--db', aPath, 'push');
await setup('clone', join(w, 'store', 'bulk'), join(w, 'b.db'));
const a1 = new DatabaseSync(aPath);
a1.exec(`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${rows}) INSERT INTO t SELECT i, 'name ' || i, i * 0.25, i % 1000, printf('%.40c', 'x') FROM s;`);
a1.close();
commit(a, { message: 'bulk' });
const entryMb = statSync(join(w, 'a.db.sqlferry', 'log', '0000000001.changeset')).size / 2 ** 20;
keep('unpushed');
await setup('--db', aPath, 'push');
keep('pushed');
for (const name of readdirSync(join(w, 'store', 'bulk', 'snapshots'))) if (/^0*1\./.test(name)) rmSync(join(w, 'store', 'bulk', 'snapshots', name));
keep('pushed-no-snapshot');
console.log(`entry ${entryMb.toFixed(1)} MiB; database ${(statSync(aPath).size / 2 ** 20).toFixed(0)} MB\n`);

type Step = { name: string; state: string; run: (bin: string) => Promise<{ s: number; mb: number; serveMb?: number }> };
const viaServe = (state: string, args: (url: string) => string[], before?: (url: string) => void): Step['run'] => async (bin) => {
  const { result, serveMb } = await served(bin, async (url) => {
    before?.(url);
    return measured(bin, args(url));
  });
  return { ...result, serveMb };
};
const webRemote = (db: string) => (url: string) => addRemote(Replica.open(join(w, db)), 'web', url);
const viaSsh = (db: string | undefined, args: string[]): Step['run'] => async (bin) => {
  if (db) addRemote(Replica.open(join(w, db)), 'ssh', sshHub);
  return measured(bin, args);
};
const steps: Step[] = [
  { name: 'push, folder hub', state: 'unpushed', run: async (bin) => measured(bin, ['--db', 'a.db', 'push']) },
  { name: 'push, serve', state: 'unpushed', run: viaServe('unpushed', () => ['--db', 'a.db', 'push', 'web'], webRemote('a.db')) },
  { name: 'pull, folder hub', state: 'pushed', run: async (bin) => measured(bin, ['--db', 'b.db', 'pull']) },
  { name: 'pull, serve', state: 'pushed', run: viaServe('pushed', () => ['--db', 'b.db', 'pull', 'web'], webRemote('b.db')) },
  { name: 'clone (snapshot at 1), folder hub', state: 'pushed', run: async (bin) => measured(bin, ['clone', join(w, 'store', 'bulk'), 'c.db']) },
  { name: 'clone (snapshot at 1), serve', state: 'pushed', run: viaServe('pushed', (url) => ['clone', url, 'c.db']) },
  { name: 'clone (entry 1 replayed), folder hub', state: 'pushed-no-snapshot', run: async (bin) => measured(bin, ['clone', join(w, 'store', 'bulk'), 'c.db']) },
  { name: 'clone (entry 1 replayed), serve', state: 'pushed-no-snapshot', run: viaServe('pushed-no-snapshot', (url) => ['clone', url, 'c.db']) },
  { name: 'push, SSH', state: 'unpushed', run: viaSsh('a.db', ['--db', 'a.db', 'push', 'ssh']) },
  { name: 'pull, SSH', state: 'pushed', run: viaSsh('b.db', ['--db', 'b.db', 'pull', 'ssh']) },
  { name: 'clone (snapshot at 1), SSH', state: 'pushed', run: viaSsh(undefined, ['clone', sshHub, 'c.db']) },
  { name: 'clone (entry 1 replayed), SSH', state: 'pushed-no-snapshot', run: viaSsh(undefined, ['clone', sshHub, 'c.db']) },
];
// Each build's first run compiles its modules (Node's compile cache, cold for a build the setup
// did not run), stripping their types with a WebAssembly module: ~30 MB more at start, ~10 MB
// more at a pull's peak. A pull over SSH with nothing new loads the same modules first.
for (const [, bin] of bins) {
  restore('unpushed');
  await viaSsh('b.db', ['--db', 'b.db', 'pull', 'ssh'])(bin);
}
const only = process.env.SQLFERRY_BENCH_STEPS?.split(';'); // step names hold commas: 'pull, SSH;clone (entry'
console.log(`| step | ${bins.map(([n]) => `${n}: peak RSS (serve's)`).join(' | ')} | ${bins.map(([n]) => `${n}: wall`).join(' | ')} |`);
console.log(`|---|${bins.map(() => '---|').join('')}${bins.map(() => '---|').join('')}`);
for (const step of steps) {
  if (only && !only.some((o) => step.name.startsWith(o))) continue;
  const got: Array<{ s: number; mb: number; serveMb?: number } | string> = [];
  for (const [, bin] of bins) {
    restore(step.state);
    got.push(await step.run(bin).catch((err: Error) => `failed: ${/error: ([^\n]*)/.exec(err.message)?.[1] ?? err.message.split('\n')[0]}`));
  }
  const mem = got.map((g) => (typeof g === 'string' ? g : `${g.mb.toFixed(0)} MB${g.serveMb === undefined ? '' : ` (${g.serveMb.toFixed(0)} MB)`}`));
  console.log(`| ${step.name} | ${mem.join(' | ')} | ${got.map((g) => (typeof g === 'string' ? '–' : `${g.s.toFixed(1)} s`)).join(' | ')} |`);
}
console.log(`\nload after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
rmSync(dir, { recursive: true, force: true });
await sshd.stop();
