// Push and pull of a 100,000-row change made in 40 commits (40 hub entries), CLI as users run it,
// side by side in one run with copying the same files the plain way: over SSH (a real sshd on
// 127.0.0.1, test/remote/sshd.ts) against `scp` of the replica's or hub's log files, and to and from
// a folder hub against `cp` of them plus `sync`. Runs alternate; medians. Issue 15's targets:
// ≤ 1.5× scp over SSH, ≤ 2× cp + sync to a folder. A pull also applies the rows to the database,
// which copying files does not: its figure is the transfer plus that work.
// Run: npx node bench/transfers.ts [runs] [rows] [commits]
// SQLFERRY_BENCH_ONLY='pull over SSH, nothing;push over' runs only the cases whose names start so.
// Each figure is a median of wall times, and, in the last column, of CPU times (user + system of
// the command's own processes: not sshd's), the steadier figure on a loaded machine.
// Each checkout's CLI is timed twice, as users run it (the npm package: `npm pack` of the checkout,
// `npm install -g --prefix` of the tarball, bench/npm-package.ts) and as a clone runs it (its
// TypeScript); the transfer-alone cases run the clone's bench/transfer-only.ts.
// SQLFERRY_BENCH_BEFORE=/older/checkout adds that checkout's package and clone (a folder holding an
// installed package, bin/sqlferry.js beside dist/npm/, adds that package alone), alternating in
// the same runs: before columns. SQLFERRY_BENCH_BUILDS='package' times only the builds whose
// labels contain one of the words (';'-separated).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import { commit } from '../src/repo/capture/commit.ts';
import { Replica } from '../src/repo/replica.ts';
import { openRemote } from '../src/remote/registry.ts';
import { chooseHandlers } from '../src/sync/handlers/index.ts';
import { clone } from '../src/sync/clone.ts';
import { initHub } from '../src/sync/init-hub.ts';
import { push } from '../src/sync/push.ts';
import { addRemote } from '../src/sync/remotes.ts';
import { stampSidecar } from '../src/repo/sidecar-stamp.ts';
import { startSshd } from '../test/remote/sshd.ts';
import { installPackage } from './npm-package.ts';

const runs = Number(process.argv[2] ?? 7);
const rows = Number(process.argv[3] ?? 100_000);
const commits = Number(process.argv[4] ?? 40);
const here = fileURLToPath(new URL('..', import.meta.url));
const bin = join(here, 'bin', 'sqlferry.js');
const sshd = await startSshd();
const dir = mkdtempSync(join(sshd.dir, 'bench-transfers-'));
const env: NodeJS.ProcessEnv = { ...process.env, HOME: sshd.home, NODE_COMPILE_CACHE: join(dir, 'compile-cache') };
delete env.SSH_AUTH_SOCK;

/** A CLI timed: its bin, and for a clone the folder holding bench/transfer-only.ts. */
interface Build { label: string; bin: string; checkout?: string }
function buildsOf(from: string, prefix: string, name: string): Build[] {
  if (!existsSync(join(from, 'bin', 'build-dist.ts'))) return [{ label: `${prefix}package`, bin: join(from, 'bin', 'sqlferry.js') }];
  return [
    { label: `${prefix}package`, bin: installPackage(from, name, dir, env) },
    { label: `${prefix}clone`, bin: join(from, 'bin', 'sqlferry.js'), checkout: from },
  ];
}
const beforeBuild = process.env.SQLFERRY_BENCH_BEFORE;
const wanted = process.env.SQLFERRY_BENCH_BUILDS?.split(';');
const builds = [...(beforeBuild ? buildsOf(beforeBuild, 'before: ', 'before') : []), ...buildsOf(here, beforeBuild ? 'after: ' : '', 'now')]
  .filter((b) => !wanted || wanted.some((w) => b.label.includes(w)));
const sshUrl = (path: string) => `ssh://${sshd.user}@127.0.0.1:${sshd.port}${path}`;
const sshOptions = ['-q', '-i', join(sshd.home, '.ssh', 'id_ed25519'), '-o', `UserKnownHostsFile=${join(sshd.home, '.ssh', 'known_hosts')}`, '-o', 'BatchMode=yes'];
const scpOptions = [...sshOptions, '-P', String(sshd.port)];

/** CPU time (user + system, ms) of the last command `must` ran: on a loaded machine, steadier than its wall time. */
let lastCpu = 0;
function must(argv: string[], cwd = dir): number {
  const start = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', ...argv], { cwd, env, encoding: 'utf8' });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  const [user, system] = /cpu (\S+) (\S+)\s*$/.exec(r.stderr)!.slice(1).map(Number);
  lastCpu = (user! + system!) * 1000;
  return ms;
}
const sqlferry = (...args: string[]) => [process.execPath, bin, ...args];
/** A command of `build`: its CLI, or a clone's bench/transfer-only.ts. */
const cli = (build: Build, ...args: string[]) => [process.execPath, build.bin, ...args];
const only = (build: Build, ...args: string[]) => [process.execPath, join(build.checkout!, 'bench', 'transfer-only.ts'), ...args];

// The pristine set: a hub holding A's genesis, A with its commits not yet pushed (for push), and
// a hub holding them with B cloned before them (for pull). Each run works on a fresh copy.
const pristine = join(dir, 'pristine');
mkdirSync(pristine);
const handlers = await chooseHandlers([]);
const hubBefore = join(pristine, 'hub-before');
await initHub(hubBefore);
const aPath = join(pristine, 'a.db');
const a0 = new DatabaseSync(aPath);
a0.exec('CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT, price REAL, qty INTEGER, note TEXT)');
a0.close();
const a = Replica.init(aPath);
addRemote(a, 'origin', hubBefore);
const before = await openRemote(hubBefore);
await push(a, before);
await clone(before, join(pristine, 'b.db'), { handlers });
const per = Math.ceil(rows / commits);
for (let c = 0; c < commits; c++) {
  const db = new DatabaseSync(aPath);
  const lo = c * per + 1;
  db.exec(`WITH RECURSIVE n(i) AS (SELECT ${lo} UNION ALL SELECT i + 1 FROM n WHERE i < ${Math.min(rows, lo + per - 1)}) INSERT INTO item SELECT i, 'item number ' || i, i * 0.25, i % 100, hex(randomblob(8)) FROM n`);
  db.close();
  commit(a, { message: `commit ${c}` });
}
await before.close();
const hubAfter = join(pristine, 'hub-after');
cpSync(hubBefore, hubAfter, { recursive: true });
// A copy of A pushes into hub-after; A itself keeps its commits unpushed, for the push runs.
const scratch = join(dir, 'scratch');
mkdirSync(scratch);
for (const name of ['a.db', 'a.db.sqlferry']) cpSync(join(pristine, name), join(scratch, name), { recursive: true });
const after = await openRemote(hubAfter);
await push(Replica.open(join(scratch, 'a.db')), after);
await after.close();
rmSync(scratch, { recursive: true });
const logFiles = (folder: string) => readdirSync(folder).filter((n) => /^\d+\./.test(n)).map((n) => join(folder, n));
const bytes = logFiles(join(hubAfter, 'log')).reduce((n, f) => n + statSync(f).size, 0);
console.log(`${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model}, load ${loadavg()[0]!.toFixed(2)}; ${rows.toLocaleString('en')} rows in ${commits} commits, ${(bytes / 1e6).toFixed(1)} MB of hub log files; ${runs} runs each, alternating`);

if (process.env.BENCH_KEEP) {
  console.log(`pristine set kept in ${pristine}`);
  await sshd.stop();
  process.exit(0);
}
let run = 0;
/** A fresh copy of the pristine set; the replica's remote pointed at `remote` (not timed). */
function fresh(db: 'a.db' | 'b.db', remote: (root: string) => string): string {
  const root = join(dir, `run${run++}`);
  cpSync(pristine, root, { recursive: true });
  must(sqlferry('--db', join(root, db), 'remote', 'set-url', 'origin', remote(root)));
  // A copied sidecar stats unlike what sqlferry left, so the next push would first check the whole
  // base snapshot against the log: stamped as sqlferry leaves it, the copy is the replica a user has.
  stampSidecar(Replica.open(join(root, db)).paths, false);
  spawnSync('sync');
  return root;
}

interface Case { name: string; prepare(): string; time(root: string, build: Build): number }
const cases: Array<[Case, Case]> = [
  [
    { name: 'push over SSH', prepare: () => fresh('a.db', (r) => sshUrl(join(r, 'hub-before'))), time: (r, b) => must(cli(b, '--db', join(r, 'a.db'), 'push')) },
    { name: 'scp of the same files, up', prepare: () => { const r = fresh('a.db', (x) => join(x, 'hub-before')); mkdirSync(join(r, 'up')); return r; }, time: (r) => must(['scp', ...scpOptions, ...logFiles(join(r, 'a.db.sqlferry', 'log')), `${sshd.user}@127.0.0.1:${join(r, 'up')}/`]) },
  ],
  [
    { name: 'pull over SSH', prepare: () => fresh('b.db', (r) => sshUrl(join(r, 'hub-after'))), time: (r, b) => must(cli(b, '--db', join(r, 'b.db'), 'pull')) },
    { name: 'scp of the same files, down', prepare: () => { const r = fresh('b.db', (x) => join(x, 'hub-after')); mkdirSync(join(r, 'down')); return r; }, time: (r) => must(['scp', ...scpOptions, `${sshd.user}@127.0.0.1:${join(r, 'hub-after', 'log')}/0*`, join(r, 'down')]) },
  ],
  [
    { name: 'push\'s transfer alone over SSH (bench/transfer-only.ts)', prepare: () => fresh('a.db', (x) => join(x, 'hub-before')), time: (r, b) => must(only(b, 'push', join(r, 'hub-after'), sshUrl(join(r, 'hub-before')))) },
    { name: 'scp of the same files, up', prepare: () => { const r = fresh('a.db', (x) => join(x, 'hub-before')); mkdirSync(join(r, 'up')); return r; }, time: (r) => must(['scp', ...scpOptions, ...logFiles(join(r, 'a.db.sqlferry', 'log')), `${sshd.user}@127.0.0.1:${join(r, 'up')}/`]) },
  ],
  [
    { name: 'pull\'s transfer alone over SSH (bench/transfer-only.ts)', prepare: () => fresh('b.db', (x) => join(x, 'hub-after')), time: (r, b) => must(only(b, 'pull', sshUrl(join(r, 'hub-after')))) },
    { name: 'scp of the same files, down', prepare: () => { const r = fresh('b.db', (x) => join(x, 'hub-after')); mkdirSync(join(r, 'down')); return r; }, time: (r) => must(['scp', ...scpOptions, `${sshd.user}@127.0.0.1:${join(r, 'hub-after', 'log')}/0*`, join(r, 'down')]) },
  ],
  [
    // The fixed cost of any SSH command: Node's start-up, loading the CLI and ssh2, the connection, the head's probes.
    { name: 'pull over SSH, nothing new', prepare: () => fresh('b.db', (r) => sshUrl(join(r, 'hub-before'))), time: (r, b) => must(cli(b, '--db', join(r, 'b.db'), 'pull')) },
    { name: 'ssh of `true`', prepare: () => fresh('b.db', (x) => join(x, 'hub-before')), time: () => must(['ssh', ...sshOptions, '-p', String(sshd.port), `${sshd.user}@127.0.0.1`, 'true']) },
  ],
  [
    { name: 'push to a folder hub', prepare: () => fresh('a.db', (r) => join(r, 'hub-before')), time: (r, b) => must(cli(b, '--db', join(r, 'a.db'), 'push')) },
    { name: 'cp of the same files + sync', prepare: () => { const r = fresh('a.db', (x) => join(x, 'hub-before')); mkdirSync(join(r, 'up')); return r; }, time: (r) => must(['sh', '-c', `cp ${logFiles(join(r, 'a.db.sqlferry', 'log')).join(' ')} ${join(r, 'up')}/ && sync`]) },
  ],
  [
    { name: 'push\'s transfer alone to a folder hub', prepare: () => fresh('a.db', (x) => join(x, 'hub-before')), time: (r, b) => must(only(b, 'push', join(r, 'hub-after'), join(r, 'hub-before'))) },
    { name: 'cp of the same files + sync', prepare: () => { const r = fresh('a.db', (x) => join(x, 'hub-before')); mkdirSync(join(r, 'up')); return r; }, time: (r) => must(['sh', '-c', `cp ${logFiles(join(r, 'a.db.sqlferry', 'log')).join(' ')} ${join(r, 'up')}/ && sync`]) },
  ],
  [
    { name: 'pull from a folder hub', prepare: () => fresh('b.db', (r) => join(r, 'hub-after')), time: (r, b) => must(cli(b, '--db', join(r, 'b.db'), 'pull')) },
    { name: 'cp of the same files + sync, down', prepare: () => { const r = fresh('b.db', (x) => join(x, 'hub-after')); mkdirSync(join(r, 'down')); return r; }, time: (r) => must(['sh', '-c', `cp ${join(r, 'hub-after', 'log')}/0* ${join(r, 'down')}/ && sync`]) },
  ],
  [
    { name: 'pull\'s transfer alone from a folder hub', prepare: () => fresh('b.db', (x) => join(x, 'hub-after')), time: (r, b) => must(only(b, 'pull', join(r, 'hub-after'))) },
    { name: 'cp of the same files + sync, down', prepare: () => { const r = fresh('b.db', (x) => join(x, 'hub-after')); mkdirSync(join(r, 'down')); return r; }, time: (r) => must(['sh', '-c', `cp ${join(r, 'hub-after', 'log')}/0* ${join(r, 'down')}/ && sync`]) },
  ],
];

const median = (t: number[]) => [...t].sort((x, y) => x - y)[Math.floor(t.length / 2)]!;
const names = builds.map((b) => b.label);
console.log(`| transfer | ${names.map((n) => `${n}, median`).join(' | ')} | reference | reference, median | ${names.map((n) => `${n}: ratio`).join(' | ')} | CPU: ${[...names, 'reference'].join(', ')} |`);
console.log(`|---|${names.map(() => '---|').join('')}---|---|${names.map(() => '---|').join('')}---|`);
const onlyCases = process.env.SQLFERRY_BENCH_ONLY?.split(';'); // 'pull over SSH;push to' runs the cases whose names start so
try {
  for (const [ours, reference] of cases) {
    if (onlyCases && !onlyCases.some((o) => ours.name.startsWith(o))) continue;
    // Each round runs every build of ours, then the reference, each on a fresh copy. The transfer
    // alone is a clone's script: a package's column is empty there.
    const timedBuilds = ours.name.includes('transfer alone') ? builds.filter((b) => b.checkout) : builds;
    if (timedBuilds.length === 0) continue;
    const runners = [...timedBuilds.map((b) => (root: string) => ours.time(root, b)), (root: string) => reference.time(root, builds.at(-1)!)];
    const times: number[][] = runners.map(() => []);
    const cpu: number[][] = runners.map(() => []);
    for (let i = 0; i < runs + 1; i++) {
      for (const [k, timeIt] of runners.entries()) {
        const root = (k < timedBuilds.length ? ours : reference).prepare();
        const ms = timeIt(root);
        if (i > 0) times[k]!.push(ms); // the first round warms caches
        if (i > 0) cpu[k]!.push(lastCpu);
        rmSync(root, { recursive: true, force: true });
      }
    }
    const ref = median(times.at(-1)!);
    const s = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
    const column = (f: (t: number[], c: number[]) => string) => builds.map((b) => (timedBuilds.includes(b) ? f(times[timedBuilds.indexOf(b)]!, cpu[timedBuilds.indexOf(b)]!) : '–'));
    console.log(`| ${ours.name} | ${column((t) => s(median(t))).join(' | ')} | ${reference.name} | ${s(ref)} | ${column((t) => `${(median(t) / ref).toFixed(2)}×`).join(' | ')} | ${[...column((_, c) => s(median(c))), s(median(cpu.at(-1)!))].join(', ')} |`);
  }
  const node = Array.from({ length: runs }, () => must([process.execPath, '-e', '0']));
  console.log(`node -e 0 (Node's own start-up, in every sqlferry figure above): ${(median(node) / 1000).toFixed(3)} s`);
} finally {
  await sshd.stop();
  rmSync(dir, { recursive: true, force: true });
}
