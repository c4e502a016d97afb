// How the HTTP transport moves bytes: one kept-alive connection per command, zstd bodies negotiated
// with Accept-Encoding / Content-Encoding both ways, the size limit applied to what an upload
// decompresses to, and an older client or server (no zstd, no batches) still understood.
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { startHubServer } from '../../src/server/serve.ts';
import { openFolderRoot } from '../../src/remote/file/store.ts';
import { loadTokens } from '../../src/server/tokens.ts';
import { fileRemote } from '../../src/remote/file/index.ts';
import { HttpRemote } from '../../src/remote/http/remote.ts';
import { batchFrames } from '../../src/hub/wire-batch.ts';
import { addGenesis, chain, changeset, entry, hubInfo } from '../remote/hub-fixtures.ts';
import { chooseHandlers } from '../../src/sync/handlers/index.ts';
import { sync } from '../../src/sync/sync.ts';
import { cloneReplica, commitAll, firstReplica, pullWith, pushTo, rows, sql, tempDir, withRemote } from '../sync/helpers.ts';

const TOKEN = 'transfer-token-0123456789abcdef';
process.env.SQLFERRY_TOKEN = TOKEN;
const root = await mkdtemp(join(tmpdir(), 'sqlferry-transfer-'));
const server = await startHubServer({
  store: openFolderRoot(root), host: '127.0.0.1', port: 0, tokens: loadTokens(TOKEN, undefined),
  maxEntryBytes: 1 << 20, maxSnapshotBytes: 1 << 20, log: () => {},
});
afterAll(() => server.close(100));

let n = 0;
async function freshHub(): Promise<{ name: string; url: string }> {
  const name = `hub${n++}`;
  const hub = await fileRemote.create(join(root, name), hubInfo());
  await addGenesis(hub);
  await hub.close();
  return { name, url: `${server.url}/${name}` };
}

/** A raw request, so headers and bodies are exactly what a test says. */
function raw(method: string, url: string, headers: Record<string, string>, body?: Uint8Array): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { authorization: `Bearer ${TOKEN}`, ...headers } }, async (res) => {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A TCP proxy in front of the server that counts connections and the requests on each. */
async function countingProxy(): Promise<{ url: string; perConnection: number[]; lines: string[]; close(): void }> {
  const perConnection: number[] = [];
  const lines: string[] = [];
  const target = new URL(server.url);
  const proxy = createServer((client) => {
    const id = perConnection.push(0) - 1;
    const upstream = connect(Number(target.port), target.hostname);
    client.on('data', (chunk: Buffer) => {
      const seen = chunk.toString('latin1').match(/^(GET|PUT) \/\S*/gm) ?? [];
      perConnection[id]! += seen.length;
      lines.push(...seen);
    });
    for (const s of [client, upstream]) s.on('error', () => {});
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((ok) => proxy.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${(proxy.address() as { port: number }).port}`, perConnection, lines, close: () => proxy.close() };
}

/** A proxy to the server that asks it for more than the client did: the batch read's limits lifted. */
async function greedyProxy(): Promise<{ url: string; close: () => void }> {
  const target = new URL(server.url);
  const proxy = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk.toString('latin1').replace(/([?&]limit=)\d+/, '$11000').replace(/([?&]maxBytes=)\d+/, '$11073741824'), 'latin1');
    });
    for (const s of [client, upstream]) s.on('error', () => {});
    upstream.pipe(client);
  });
  await new Promise<void>((ok) => proxy.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${(proxy.address() as { port: number }).port}`, close: () => proxy.close() };
}

describe('HTTP transfers', () => {
  it('refuses a batch answer holding more entries or more bytes than it asked for', async () => {
    const { name } = await freshHub();
    const honest = new HttpRemote(`${server.url}/${name}`);
    const bodies = [changeset('a', 5000), changeset('b', 5000), changeset('c', 5000)];
    const metas = chain(bodies);
    await honest.appendBatch(bodies.map((bytes, i) => ({ meta: metas[i]!, bytes })));
    await honest.close();
    const proxy = await greedyProxy();
    const remote = new HttpRemote(`${proxy.url}/${name}`);
    process.env.SQLFERRY_PIECE_BYTES = '1024'; // entries above 8 KiB travel streamed, never in a batch
    try {
      await expect(remote.readBatch(0, { limit: 1, maxBytes: 1 << 20 })).rejects.toMatchObject({ code: 'HUB_BAD_ANSWER' });
      await expect(remote.readBatch(0, { limit: 10, maxBytes: 6000 })).rejects.toMatchObject({ code: 'HUB_BAD_ANSWER' });
    } finally {
      delete process.env.SQLFERRY_PIECE_BYTES;
      await remote.close();
      proxy.close();
    }
  });

  it('keeps one connection for a command\'s requests, and asks for the hub info once', async () => {
    const { name } = await freshHub();
    const proxy = await countingProxy();
    const remote = new HttpRemote(`${proxy.url}/${name}`);
    const bodies = [changeset('a', 5000), changeset('b', 5000), changeset('c')];
    const metas = chain(bodies);
    await remote.info();
    await remote.head();
    await remote.appendBatch(bodies.map((bytes, i) => ({ meta: metas[i]!, bytes })));
    await remote.info();
    expect((await remote.readBatch(0, { limit: 10, maxBytes: 1 << 20 })).map((e) => e.meta.seq)).toEqual([1, 2, 3]);
    await remote.list(0);
    await remote.close();
    proxy.close();
    expect(proxy.perConnection).toEqual([5]); // info, head, head (the batch's check), PUT log, GET log, list: less the cached info
  });

  it('a sync with nothing to pull or push asks for the hub info (which carries its head), nothing more; with a commit, it pushes it', async () => {
    const name = `hub${n++}`;
    await (await fileRemote.create(join(root, name), hubInfo())).close();
    const dir = tempDir();
    const a = await firstReplica(dir, `${server.url}/${name}`, 'CREATE TABLE item(id INTEGER PRIMARY KEY, v TEXT)');
    const handlers = await chooseHandlers([]);
    const proxy = await countingProxy();
    const syncOnce = () => withRemote(`${proxy.url}/${name}`, (remote) => sync(a, remote, { handlers }));
    expect(await syncOnce()).toMatchObject({ pulled: 0, pushed: 0, head: 0 });
    expect(proxy.lines).toEqual([`GET /${name}/info`]);
    sql(a.paths.db, "INSERT INTO item VALUES (1, 'x')");
    expect(await syncOnce()).toMatchObject({ pulled: 0, pushed: 1, head: 1 });
    proxy.close();
  });

  it('pushes and pulls many commits in one request each', async () => {
    const name = `hub${n++}`;
    await (await fileRemote.create(join(root, name), hubInfo())).close();
    const dir = tempDir();
    const a = await firstReplica(dir, `${server.url}/${name}`, 'CREATE TABLE item(id INTEGER PRIMARY KEY, v TEXT)');
    const b = await cloneReplica(dir, `${server.url}/${name}`, 'b');
    for (let i = 1; i <= 6; i++) {
      sql(a.paths.db, `INSERT INTO item VALUES (${i}, '${'v'.repeat(i * 500)}')`);
      commitAll(a, `commit ${i}`);
    }
    const proxy = await countingProxy();
    expect(await pushTo(a, `${proxy.url}/${name}`)).toMatchObject({ pushed: 6, head: 6 });
    expect(await pullWith(b, `${proxy.url}/${name}`)).toMatchObject({ pulled: 6, head: 6 });
    proxy.close();
    expect(rows(b.paths.db, 'item')).toEqual(rows(a.paths.db, 'item'));
    expect(proxy.lines.filter((l) => l.startsWith('PUT'))).toEqual([`PUT /${name}/log`]);
    expect(proxy.lines.filter((l) => l.includes('/log') && l.startsWith('GET'))).toHaveLength(1);
    expect(proxy.lines.filter((l) => /entries\/\d/.test(l))).toEqual([]);
  });

  it('answers in zstd when the client offers it, and as it is when it does not', async () => {
    const { name, url } = await freshHub();
    const bodies = [changeset('x', 50_000), changeset('y', 50_000)];
    const metas = chain(bodies);
    await new HttpRemote(url).appendBatch(bodies.map((bytes, i) => ({ meta: metas[i]!, bytes })));
    const plain = await raw('GET', `${server.url}/${name}/log?after=0`, {});
    expect(plain.headers['content-encoding']).toBeUndefined();
    const packed = await raw('GET', `${server.url}/${name}/log?after=0`, { 'accept-encoding': 'gzip, zstd;q=0.9' });
    expect(packed.headers['content-encoding']).toBe('zstd');
    expect(packed.body.length).toBeLessThan(plain.body.length / 10);
    expect(Buffer.compare(zstdDecompressSync(packed.body), plain.body)).toBe(0);
    const refused = await raw('GET', `${server.url}/${name}/log?after=0`, { 'accept-encoding': 'zstd;q=0' });
    expect(refused.headers['content-encoding']).toBeUndefined();
  });

  it('takes a zstd upload, and refuses one that decompresses past the size limit or is not zstd', async () => {
    const { name, url } = await freshHub();
    const bodies = [changeset('p', 20_000), changeset('q', 20_000)];
    const metas = chain(bodies);
    const frames = Buffer.concat(batchFrames(bodies.map((bytes, i) => ({ meta: metas[i]!, bytes }))));
    const stored = await raw('PUT', `${server.url}/${name}/log`, { 'content-encoding': 'zstd' }, zstdCompressSync(frames));
    expect(stored.status).toBe(201);
    expect(await new HttpRemote(url).head()).toBe(2);
    // 70 entries of 1,000,000 zero bytes: each within the 1 MiB entry limit, 70 MB in all, past the
    // server's bound on a batch (64 MiB, plus 1 MiB of metadata), yet a few kB compressed.
    const zeros = Buffer.alloc(1_000_000);
    const bomb = zstdCompressSync(Buffer.concat(batchFrames(Array.from({ length: 70 }, (_, i) => ({ meta: entry(i + 1, zeros), bytes: zeros })))));
    expect(bomb.length).toBeLessThan(64 << 10);
    const tooLarge = await raw('PUT', `${server.url}/${name}/log`, { 'content-encoding': 'zstd' }, bomb);
    expect(tooLarge.status).toBe(413);
    expect(JSON.parse(tooLarge.body.toString()).error.code).toBe('HUB_BODY_TOO_LARGE');
    const notZstd = await raw('PUT', `${server.url}/${name}/log`, { 'content-encoding': 'zstd' }, frames);
    expect(notZstd.status).toBe(400);
    const gzip = await raw('PUT', `${server.url}/${name}/log`, { 'content-encoding': 'gzip' }, frames);
    expect(gzip.status).toBe(400);
    expect(await new HttpRemote(url).head()).toBe(2);
  });
});
