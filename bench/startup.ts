// Start-up: `sqlferry --version` as a user runs it, from the npm package installed with
// `npm install -g` (npm pack's tarball, into a temporary prefix) and from the single
// executable (npm run build:sea), side by side with a bare `node -e 0` of the same Node 24.
// Runs alternate, after warm-up runs (the npm package's compile cache is then warm, as it is
// from a user's second call on); prints the median wall time of each and its difference to
// node -e 0 (the 0.15 s target), and the same for CPU time, which a loaded machine inflates less.
// Run: npx node bench/startup.ts [runs] (builds dist/npm and dist/sqlferry first)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 31);
const root = fileURLToPath(new URL('..', import.meta.url));
const node = process.execPath;
const dir = mkdtempSync(join(tmpdir(), 'sqlferry-bench-startup-'));
const env = { ...process.env, PATH: `${dirname(node)}:${process.env.PATH}`, NODE_COMPILE_CACHE: join(dir, 'compile-cache') };

function must(command: string, args: string[], cwd = root): string {
  const r = spawnSync(command, args, { cwd, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

must(node, ['bin/build-sea.ts']);
const tarball = join(dir, must('npm', ['pack', '--pack-destination', dir, '--silent']).trim().split('\n').at(-1)!);
must('npm', ['install', '-g', '--prefix', join(dir, 'prefix'), '--prefer-offline', '--no-audit', '--no-fund', tarball]);

const cases: Array<{ name: string; argv: string[] }> = [
  { name: 'node -e 0', argv: [node, '-e', '0'] },
  { name: 'sqlferry --version (npm install -g)', argv: [join(dir, 'prefix', 'bin', 'sqlferry'), '--version'] },
  { name: 'sqlferry --version (single executable)', argv: [join(root, 'dist', 'sqlferry'), '--version'] },
];
for (const c of cases) if (!existsSync(c.argv[0]!)) throw new Error(`missing ${c.argv[0]}`);

/** Wall time (this process's clock) and CPU time (user + system, from GNU time) of one run, in ms. */
function once(argv: string[]): { wall: number; cpu: number } {
  const report = join(dir, 'time.txt');
  const start = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', '-o', report, ...argv], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const wall = performance.now() - start;
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${String(r.stderr)}`);
  const [user, system] = readFileSync(report, 'utf8').trim().split(/\s+/).map(Number);
  return { wall, cpu: (user! + system!) * 1000 };
}

const runsOf = cases.map(() => [] as Array<{ wall: number; cpu: number }>);
for (let i = 0; i < 3; i++) for (const c of cases) once(c.argv);
for (let i = 0; i < runs; i++) cases.forEach((c, k) => runsOf[k]!.push(once(c.argv)));

const median = (t: number[]) => [...t].sort((a, b) => a - b)[Math.floor(t.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
const wall = runsOf.map((r) => median(r.map((x) => x.wall)));
const cpu = runsOf.map((r) => median(r.map((x) => x.cpu)));
console.log('| command | wall, median | over node -e 0 (target ≤ 0.150 s) | CPU, median | over node -e 0 |');
console.log('|---|---|---|---|---|');
cases.forEach((c, k) => {
  const over = (t: number[]) => (k === 0 ? '' : `+${s(t[k]! - t[0]!)}`);
  console.log(`| ${c.name} | ${s(wall[k]!)} | ${over(wall)} | ${s(cpu[k]!)} | ${over(cpu)} |`);
});
console.log(`\n${runs} runs each, alternating; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; node ${process.version}`);
rmSync(dir, { recursive: true, force: true });
