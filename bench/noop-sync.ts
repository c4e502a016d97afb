// A no-op `sqlferry sync` over HTTP (nothing to pull, nothing to push) against `curl` of the hub's
// head and a bare `node -e 0`, side by side in one run, CLI as users run it, against a real
// `sqlferry serve` on loopback. A counting proxy in front of the server says how many requests
// and connections one sync makes. Prints median wall times (issue 14's target: sync ≤ 2× curl
// plus Node's own start-up). The sync runs from this checkout (its TypeScript, as a contributor
// runs it) and from the npm package installed with `npm install -g` (the bundled JavaScript users
// run) — and, given a git revision BEFORE, from that revision's npm package too, side by side.
// Each sync has a replica of its own (one sync's caches never serve another). Wall and CPU
// (user + system) times come from bash's `time` around the command; on a loaded machine CPU
// time is the steadier figure.
// Run: npx node bench/noop-sync.ts [runs] [BEFORE]
import { spawnSync } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { serveStore } from '../test/server/serve-store.ts';
import { checkoutOf, installPackage, median, root, timed, type Timed } from './npm-package.ts';

const runs = Number(process.argv[2] ?? 21);
const before = process.argv[3];
const bin = join(root, 'bin', 'sqlferry.js');
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

const run = (argv: string[]): Promise<Timed> => timed(argv, dir, env, join(dir, 'run.err'));

try {
  const installed = installPackage(root, 'now', dir, env);
  const installedBefore = before === undefined ? undefined : installPackage(checkoutOf(before, dir), 'before', dir, env);
  const base = new URL(await serveStore(dir, children, env));
  const port = await countingProxy(base);
  const url = `http://127.0.0.1:${port}/app`;
  const db = join(dir, 'app.db');
  spawnSync('sqlite3', [db, 'CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, \'x\');']);
  for (const argv of [['init', db], ['init', '--bare', url], ['--db', db, 'remote', 'add', 'origin', url], ['--db', db, 'sync']]) await run([process.execPath, bin, ...argv]);
  /** A replica of its own for `sqlferry`, cloned and synced once by it. */
  const replicaFor = async (sqlferry: string[], name: string) => {
    const path = join(dir, `${name}.db`);
    await run([...sqlferry, 'clone', url, path]);
    await run([...sqlferry, '--db', path, 'sync']);
    return [...sqlferry, '--db', path, 'sync'];
  };
  const sync = await replicaFor([process.execPath, bin], 'checkout');
  requests = 0;
  connections = 0;
  await run(sync);
  const perSync = { requests, connections };
  const cases = [
    { name: 'node -e 0', argv: [process.execPath, '-e', '0'] },
    { name: 'curl of the head', argv: ['curl', '-sf', '-H', `authorization: Bearer ${token}`, `${base.origin}/app/head`] },
    { name: 'sqlferry sync (no-op), this checkout', argv: sync },
    { name: 'sqlferry sync (no-op), npm install -g', argv: await replicaFor([installed], 'npm') },
    ...(installedBefore ? [{ name: `sqlferry sync (no-op), npm install -g of ${before}`, argv: await replicaFor([installedBefore], 'npm-before') }] : []),
  ];
  const times = cases.map(() => [] as Timed[]);
  for (let i = 0; i < 3; i++) for (const c of cases) await run(c.argv);
  for (let i = 0; i < runs; i++) for (const [k, c] of cases.entries()) times[k]!.push(await run(c.argv));
  const wall = times.map((t) => median(t.map((x) => x.wall)));
  const cpu = times.map((t) => median(t.map((x) => x.cpu)));
  console.log(`${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model}, load ${loadavg()[0]!.toFixed(2)}, ${runs} runs each, alternating`);
  console.log(`one no-op sync: ${perSync.requests} HTTP requests on ${perSync.connections} connection(s)`);
  console.log('| command | wall, median | CPU, median |');
  console.log('|---|---|---|');
  cases.forEach((c, k) => console.log(`| ${c.name} | ${wall[k]!.toFixed(3)} s | ${cpu[k]!.toFixed(3)} s |`));
  const target = (t: number[]) => 2 * t[1]! + t[0]!;
  for (const [what, t] of [['wall', wall], ['CPU', cpu]] as const) {
    console.log(`target (${what}): sync ≤ 2 × curl + node -e 0 = ${target(t).toFixed(3)} s; sync is ${t.slice(2).map((x) => `${(x / target(t)).toFixed(2)}×`).join(', ')} of it (in the rows' order)`);
  }
} finally {
  for (const c of children) c.kill();
  rmSync(dir, { recursive: true, force: true });
}
