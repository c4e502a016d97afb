// Appends through `sqlferry serve` on each store, side by side in one run: 1 and 3 server
// processes on a folder store and on one PostgreSQL (started here as the tests do, with fsync on), PUSHERS
// clients pushing as fast as they can for SECONDS each (head, parent, append; a lost race is
// retried). Reports acknowledged appends/s and the p50/p99 latency of a successful round.
// Run: npx node bench/hub-stores.ts [seconds] [pushers]
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpRemote } from '../src/remote/http/index.ts';
import { sha256 } from '../src/hub/checksum.ts';
import { addGenesis, changeset, hubInfo } from '../test/remote/hub-fixtures.ts';
import { SKIP_POSTGRES, startPostgres } from '../test/remote/postgres.ts';
import { serveStore } from '../test/server/serve-store.ts';

const seconds = Number(process.argv[2] ?? 10);
const pushers = Number(process.argv[3] ?? 8);
const TOKEN = 'bench-token-0123456789abcdef';
process.env.SQLFERRY_TOKEN = TOKEN;
const children: ChildProcessWithoutNullStreams[] = [];

const serve = (store: string): Promise<string> => serveStore(store, children);

async function pusher(urls: string[], id: number, until: number, latencies: number[]): Promise<void> {
  const hubs = await Promise.all(urls.map((u) => httpRemote.open(u)));
  for (let n = 0; Date.now() < until; n++) {
    const hub = hubs[n % hubs.length]!;
    const start = performance.now();
    const head = await hub.head();
    const parent = head === 0 ? (await hub.latestSnapshot(0))!.sha256 : (await hub.list(head - 1, 1))[0]!.sha256;
    const bytes = changeset(`${id}:${n}:`, 1000);
    const meta = { seq: head + 1, parent, replica: `p${id}`, time: new Date().toISOString(), message: '', schema: [], kind: 'changeset' as const, sha256: sha256(bytes), size: bytes.length };
    const won = await hub.append(meta, bytes).then(() => true, (err) => (err.code === 'HUB_ENTRY_EXISTS' ? false : Promise.reject(err)));
    if (won) latencies.push(performance.now() - start);
  }
  await Promise.all(hubs.map((h) => h.close()));
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;

async function measure(label: string, store: string, servers: number): Promise<void> {
  const urls = (await Promise.all(Array.from({ length: servers }, () => serve(store)))).map((s) => `${s}/bench${servers}`);
  const hub = await httpRemote.create(urls[0]!, hubInfo());
  await addGenesis(hub);
  await hub.close();
  const latencies: number[] = [];
  const until = Date.now() + seconds * 1000;
  await Promise.all(Array.from({ length: pushers }, (_, i) => pusher(urls, i, until, latencies)));
  latencies.sort((a, b) => a - b);
  console.log(`| ${label} | ${servers} | ${(latencies.length / seconds).toFixed(1)} | ${pct(latencies, 0.5).toFixed(0)} ms | ${pct(latencies, 0.99).toFixed(0)} ms |`);
  for (const c of children.splice(0)) c.kill('SIGTERM');
}

console.log(`${pushers} pushers, ${seconds} s each\n\n| store | servers | appends/s | p50 round | p99 round |\n|---|---|---|---|---|`);
const folder = mkdtempSync(join(tmpdir(), 'sqlferry-bench-stores-'));
await measure('folder', folder, 1);
await measure('folder', folder, 3);
if (SKIP_POSTGRES) console.log(SKIP_POSTGRES);
else {
  const pg = await startPostgres({ durable: true });
  pg.createDatabase('bench');
  await measure('PostgreSQL', pg.storeUrl('bench'), 1);
  await measure('PostgreSQL', pg.storeUrl('bench'), 3);
  pg.stop();
}
