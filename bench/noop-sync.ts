// A no-op `sqlferry sync` over HTTP (nothing to pull, nothing to push) against `curl` of the hub's
// head and a bare `node -e 0`, side by side in one run, CLI as users run it, against a real
// `sqlferry serve` on loopback. A counting proxy in front of the server says how many requests
// and connections one sync makes. Prints median wall times (issue 14's target: sync ≤ 2× curl
// plus Node's own start-up). The sync runs twice over: from this checkout (its TypeScript, as a
// contributor runs it) and from the npm package installed with `npm install -g` (the bundled
// JavaScript users run).
// Run: npx node bench/noop-sync.ts [runs]
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStore } from '../test/server/serve-store.ts';

const runs = Number(process.argv[2] ?? 21);
const bin = fileURLToPath(new URL('../bin/sqlferry.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sqlferry-bench-noop-'));
const token = 'bench-token-0123456789abcdef';
const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}`, SQLFERRY_TOKEN: token, NODE_COMPILE_CACHE: join(dir, 'compile-cache') };
const children: ChildProcessWithoutNullStreams[] = [];

let requests = 0;
let connections = 0;
/** Counts connections and HTTP requests (request lines) passing to the server. */
async function countingProxy(target: URL): Promise<number> {
  const server = createServer((client) => {
    connections++;
    const upstream = connect(Number(target.port), target.hostname);
    client.on('data', (chunk: Buffer) => {
      const lines = chunk.toString('latin1').match(/^(GET|PUT|POST|HEAD) \/\S*/gm) ?? [];
      requests += lines.length;
      if (process.env.BENCH_TRACE) for (const l of lines) console.log(`connection ${connections}: ${l}`);
    });
    for (const s of [client, upstream]) s.on('error', () => {});
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  server.unref();
  return (server.address() as { port: number }).port;
}

/** Wall time of one run; asynchronous, so the proxy in this process keeps passing bytes. */
async function run(argv: string[], cwd = dir): Promise<number> {
  const start = performance.now();
  const child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((ok) => child.on('close', ok));
  const ms = performance.now() - start;
  if (code !== 0) throw new Error(`${argv.join(' ')}: ${stderr}`);
  return ms;
}

/** The npm package as a user gets it: npm pack's tarball installed into a prefix of its own. */
function installPackage(): string {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const must = (args: string[]) => {
    const r = spawnSync('npm', args, { cwd: root, env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`npm ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const tarball = join(dir, must(['pack', '--pack-destination', dir, '--silent']).trim().split('\n').at(-1)!);
  must(['install', '-g', '--prefix', join(dir, 'prefix'), '--prefer-offline', '--no-audit', '--no-fund', tarball]);
  return join(dir, 'prefix', 'bin', 'sqlferry');
}

try {
  const installed = installPackage();
  const base = new URL(await serveStore(dir, children, env));
  const port = await countingProxy(base);
  const url = `http://127.0.0.1:${port}/app`;
  const db = join(dir, 'app.db');
  spawnSync('sqlite3', [db, 'CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, \'x\');']);
  for (const argv of [['init', db], ['init', '--bare', url], ['--db', db, 'remote', 'add', 'origin', url], ['--db', db, 'sync']]) await run([process.execPath, bin, ...argv]);
  const sync = [process.execPath, bin, '--db', db, 'sync'];
  requests = 0;
  connections = 0;
  await run(sync);
  const perSync = { requests, connections };
  const cases = [
    { name: 'node -e 0', argv: [process.execPath, '-e', '0'] },
    { name: 'curl of the head', argv: ['curl', '-sf', '-H', `authorization: Bearer ${token}`, `${base.origin}/app/head`] },
    { name: 'sqlferry sync (no-op), this checkout', argv: sync },
    { name: 'sqlferry sync (no-op), npm install -g', argv: [installed, '--db', db, 'sync'] },
  ];
  const times = cases.map(() => [] as number[]);
  for (let i = 0; i < 3; i++) for (const c of cases) await run(c.argv);
  for (let i = 0; i < runs; i++) for (const [k, c] of cases.entries()) times[k]!.push(await run(c.argv));
  const median = (t: number[]) => [...t].sort((a, b) => a - b)[Math.floor(t.length / 2)]!;
  const m = times.map(median);
  console.log(`${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model}, load ${loadavg()[0]!.toFixed(2)}, ${runs} runs each, alternating`);
  console.log(`one no-op sync: ${perSync.requests} HTTP requests on ${perSync.connections} connection(s)`);
  console.log('| command | wall, median |');
  console.log('|---|---|');
  cases.forEach((c, k) => console.log(`| ${c.name} | ${(m[k]! / 1000).toFixed(3)} s |`));
  const budget = 2 * m[1]! + m[0]!;
  console.log(`target: sync ≤ 2 × curl + node -e 0 = ${(budget / 1000).toFixed(3)} s; sync is ${(m[2]! / budget).toFixed(2)} of it from this checkout, ${(m[3]! / budget).toFixed(2)} from the npm package`);
} finally {
  for (const c of children) c.kill();
}
