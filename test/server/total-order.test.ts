// Total order through several `serve` processes on one store — a PostgreSQL that restarts in the
// middle, and one folder: every acknowledged push is there exactly once at its number, no number
// is skipped or used twice, and no server answers 5xx other than 503 while PostgreSQL is away.
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SKIP_POSTGRES, startPostgres } from '../remote/postgres.ts';
import type { TestPostgres } from '../remote/postgres.ts';
import { httpRemote } from '../../src/remote/http/index.ts';
import type { Remote } from '../../src/hub/remote.ts';
import { collect, sha256 } from '../../src/hub/checksum.ts';
import { addGenesis, hubInfo } from '../remote/hub-fixtures.ts';
import { serveStore } from './serve-store.ts';

const TOKEN = 'pg-order-token-0123456789abcdef';
const worker = fileURLToPath(new URL('./pg-append-worker.ts', import.meta.url));

function run(id: string, seconds: number, urls: string[]) {
  const child = spawn(process.execPath, [worker, id, String(seconds), ...urls], { env: { ...process.env, SQLFERRY_TOKEN: TOKEN } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return new Promise<{ code: number | null; out: string; err: string }>((ok) => child.on('close', (code) => ok({ code, out, err })));
}

type Result = Awaited<ReturnType<typeof run>>;

const errors = (results: Result[]) => new Set(results.flatMap((r) => [...r.out.matchAll(/^error (\S+)$/gm)].map((m) => m[1]!)));

/** Every acknowledged append is stored once at its number, 1..head without a gap, each entry's bytes intact. */
async function expectTotalOrder(hub: Remote, results: Result[], minAcks: number): Promise<void> {
  for (const r of results) expect(r, r.err).toMatchObject({ code: 0 });
  const acks = results.flatMap((r) => [...r.out.matchAll(/^ack (\d+) ([0-9a-f]{64})$/gm)].map((m) => ({ seq: Number(m[1]), sha: m[2]! })));
  expect(acks.length).toBeGreaterThanOrEqual(minAcks); // the pushers really raced
  expect([...errors(results)].filter((code) => !['HUB_ENTRY_EXISTS', 'HUB_STORE_UNAVAILABLE', 'HUB_CONNECTION_LOST'].includes(code))).toEqual([]);
  const metas = await hub.list(0);
  expect(metas.map((m) => m.seq)).toEqual(metas.map((_, i) => i + 1));
  expect(new Set(metas.map((m) => m.sha256)).size).toBe(metas.length);
  const bySeq = new Map(metas.map((m) => [m.seq, m.sha256]));
  for (const a of acks) expect(bySeq.get(a.seq)).toBe(a.sha);
  expect(new Set(acks.map((a) => a.seq)).size).toBe(acks.length);
  for (const m of metas) expect(sha256(await collect((await hub.read(m.seq)).body))).toBe(m.sha256);
}

describe('folder total order', () => {
  const children: ChildProcessWithoutNullStreams[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  it('2 servers on one folder, 4 pushers: every acknowledged push exactly once, no gap', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'sqlferry-order-'));
    const servers = await Promise.all([0, 1].map(() => serveStore(folder, children, { ...process.env, SQLFERRY_TOKEN: TOKEN })));
    process.env.SQLFERRY_TOKEN = TOKEN;
    const hub = await httpRemote.create(`${servers[0]}/app`, hubInfo());
    await addGenesis(hub);
    const results = await Promise.all(['a', 'b', 'c', 'd'].map((id) => run(id, 3, servers.map((s) => `${s}/app`))));
    await expectTotalOrder(hub, results, 4);
    await hub.close();
  });
});

describe.skipIf(SKIP_POSTGRES)(SKIP_POSTGRES ?? 'PostgreSQL total order', () => {
  const children: ChildProcessWithoutNullStreams[] = [];
  let pg: TestPostgres | undefined;
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
    pg?.stop();
  });

  it('3 servers, 6 pushers, PostgreSQL restarted once: every acknowledged push exactly once, no gap', async () => {
    pg = await startPostgres();
    pg.createDatabase('order');
    const servers = await Promise.all([0, 1, 2].map(() => serveStore(pg!.storeUrl('order'), children, { ...process.env, SQLFERRY_TOKEN: TOKEN })));
    process.env.SQLFERRY_TOKEN = TOKEN;
    const hub = await httpRemote.create(`${servers[0]}/app`, hubInfo());
    await addGenesis(hub);
    const urls = servers.map((s) => `${s}/app`);
    // The pushers append as fast as they can the whole time (CPU a loaded machine lacks): 2.5 s
    // before the restart, 2 s down, and at least 3.5 s after it.
    const runs = ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => run(id, 8, urls));
    await new Promise((r) => setTimeout(r, 2500));
    pg.stop();
    await new Promise((r) => setTimeout(r, 2000));
    pg.start();
    const results = await Promise.all(runs);
    expect(errors(results).has('HUB_STORE_UNAVAILABLE')).toBe(true); // the restart was seen, as 503
    await expectTotalOrder(hub, results, 10);
    await hub.close();
  });
});
