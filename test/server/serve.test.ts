// The hub server in-process, with real HTTP(S) and fetch: tokens, status codes, URLs that are
// not hubs, limits, TLS. The conformance suite (test/remote/http.test.ts) covers the rest.
import { describe, it, expect, afterAll } from 'vitest';
import { execFileSync, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHubServer } from '../../src/server/serve.ts';
import { openFolderRoot } from '../../src/remote/file/store.ts';
import type { ServeOptions } from '../../src/server/serve.ts';
import { loadTokens } from '../../src/server/tokens.ts';
import { httpRemote } from '../../src/remote/http/index.ts';
import { fileRemote } from '../../src/remote/file/index.ts';
import { GENESIS, addGenesis, changeset, entry, hubInfo, snapshotOf } from '../remote/hub-fixtures.ts';
import { sha256 } from '../../src/hub/checksum.ts';
import { freePort } from '../remote/sshd.ts';

const WRITER = 'writer-token-0123456789abcdef';
const READER = 'reader-token-0123456789abcdef';
const root = await mkdtemp(join(tmpdir(), 'sqlferry-serve-'));
await writeFile(join(root, 'tokens'), `# who may do what\n${WRITER}\n${READER} read-only\n`);
const servers: Array<{ close(ms?: number): Promise<void> }> = [];
afterAll(() => Promise.all(servers.map((s) => s.close(100))));

async function serve(extra: Partial<ServeOptions> = {}) {
  const server = await startHubServer({
    store: openFolderRoot(root), host: '127.0.0.1', port: 0, tokens: loadTokens(undefined, join(root, 'tokens')),
    maxEntryBytes: 1 << 20, maxSnapshotBytes: 1 << 20, log: () => {}, ...extra,
  });
  servers.push(server);
  return server;
}

const server = await serve();
let n = 0;
async function freshHub(): Promise<string> {
  const name = `hub${n++}`;
  const hub = await fileRemote.create(join(root, name), hubInfo());
  await addGenesis(hub);
  await hub.close();
  return `${server.url}/${name}`;
}
function as<T>(token: string | undefined, run: () => Promise<T>): Promise<T> {
  if (token === undefined) delete process.env.SQLFERRY_TOKEN;
  else process.env.SQLFERRY_TOKEN = token;
  return run();
}
const one = changeset('one');

describe('serve: tokens', () => {
  it('answers a missing or unknown token with 401 and a sentence', async () => {
    const url = await freshHub();
    const missing = await as(undefined, async () => (await httpRemote.open(url)).head()).catch((e) => e);
    expect(missing).toMatchObject({ code: 'HUB_TOKEN_MISSING', message: `the hub server at ${url} needs a token and none was given`, data: { status: 401 } });
    const wrong = await as('not-the-token-0123456789', async () => (await httpRemote.open(url)).head()).catch((e) => e);
    expect(wrong).toMatchObject({ code: 'HUB_TOKEN_INVALID', message: `the hub server at ${url} refused the token (HTTP 401)` });
    expect(wrong.hint).toMatch(/SQLFERRY_TOKEN/);
  });

  it('lets a read-only token read but not push (403)', async () => {
    const url = await freshHub();
    await as(WRITER, async () => (await httpRemote.open(url)).append(entry(1, one), one));
    const reader = await as(READER, () => httpRemote.open(url));
    expect(await reader.head()).toBe(1);
    await expect(reader.append(entry(2, one), one)).rejects.toMatchObject({ code: 'HUB_READ_ONLY', data: { status: 403 } });
  });

  it('refuses a missing, wrong or read-only token on every route that writes, and stores nothing', async () => {
    const url = await freshHub();
    await as(WRITER, async () => (await httpRemote.open(url)).append(entry(1, one), one));
    const refusals: Array<[string | undefined, string, number]> = [
      [undefined, 'HUB_TOKEN_MISSING', 401],
      ['not-the-token-0123456789', 'HUB_TOKEN_INVALID', 401],
      [READER, 'HUB_READ_ONLY', 403],
    ];
    const two = changeset('two');
    for (const [token, code, status] of refusals) {
      const remote = await as(token, () => httpRemote.open(url));
      const refused = { code, data: { status } };
      await expect(remote.append(entry(2, two, sha256(one)), two), `append, ${code}`).rejects.toMatchObject(refused);
      await expect(remote.writeSnapshot(snapshotOf(1, GENESIS), GENESIS), `snapshot, ${code}`).rejects.toMatchObject(refused);
      await expect(as(token, () => httpRemote.create(`${server.url}/made-by-${status}-${n++}`, hubInfo())), `hub creation, ${code}`).rejects.toMatchObject(refused);
    }
    const stored = await as(WRITER, () => httpRemote.open(url));
    expect(await stored.head()).toBe(1);
    expect((await stored.latestSnapshot())?.seq).toBe(0);
    expect((await readdir(root)).filter((name) => name.startsWith('made-by-'))).toEqual([]);
    // The same three writes with a read-write token: what was refused was the token, nothing else.
    await stored.append(entry(2, two, sha256(one)), two);
    await stored.writeSnapshot(snapshotOf(1, GENESIS), GENESIS);
    await as(WRITER, () => httpRemote.create(`${server.url}/made-by-writer`, hubInfo()));
    expect(await stored.head()).toBe(2);
  });

  it('reads the client token from SQLFERRY_TOKEN_FILE', async () => {
    const url = await freshHub();
    const file = join(root, `client-token${n++}`);
    await writeFile(file, `${READER}\n`);
    process.env.SQLFERRY_TOKEN_FILE = file;
    try {
      expect(await as(undefined, async () => (await httpRemote.open(url)).head())).toBe(0);
    } finally {
      delete process.env.SQLFERRY_TOKEN_FILE;
    }
  });
});

describe('serve: answers', () => {
  it('maps typed errors to status codes: 409 taken, 404 missing', async () => {
    const url = await freshHub();
    const remote = await as(WRITER, () => httpRemote.open(url));
    await remote.append(entry(1, one), one);
    await expect(remote.append(entry(1, one), one)).rejects.toMatchObject({ code: 'HUB_ENTRY_EXISTS', exitCode: 4, data: { status: 409, url }, message: `the hub at ${url} already has entry 1` });
    await expect(remote.read(9)).rejects.toMatchObject({ code: 'HUB_ENTRY_NOT_FOUND', data: { status: 404 } });
    const res = await fetch(`${url}/entries/1`, { method: 'PUT', headers: { authorization: `Bearer ${WRITER}` }, body: 'x' });
    expect(res.status).toBe(400);
  });

  it('says "no hub there" for a wrong path, and refuses a URL without one', async () => {
    const err = await as(WRITER, async () => (await httpRemote.open(`${server.url}/nothing-here`)).info()).catch((e) => e);
    expect(err).toMatchObject({ code: 'HUB_NOT_FOUND', message: `there is no sqlferry hub at ${server.url}/nothing-here` });
    await expect(httpRemote.open(server.url)).rejects.toMatchObject({ code: 'REMOTE_URL_INVALID', exitCode: 2 });
  });

  it('never leaves the root: .. and hidden names are not hubs', async () => {
    const status = await new Promise<number>((ok) => {
      const port = Number(new URL(server.url).port);
      request({ host: '127.0.0.1', port, path: '/%2e%2e/info', headers: { authorization: `Bearer ${WRITER}` } }, (res) => ok(res.statusCode!)).end();
    });
    expect(status).toBe(404);
  });

  it('refuses a body over the limit with 413 and stores nothing', async () => {
    const url = await freshHub();
    const remote = await as(WRITER, () => httpRemote.open(url));
    const big = changeset('1', 2 << 20);
    await expect(remote.append(entry(1, big), big)).rejects.toMatchObject({ code: 'HUB_BODY_TOO_LARGE', data: { status: 413 } });
    expect(await remote.head()).toBe(0);
  });
});

describe('serve: URLs that are not hub servers', () => {
  it('recognises a web server that is not a hub', async () => {
    const web = createServer((_, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>'));
    await new Promise<void>((ok) => web.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(web.address() as { port: number }).port}/app`;
    const err = await (await httpRemote.open(url)).head().catch((e) => e);
    web.close();
    expect(err).toMatchObject({ code: 'HUB_NOT_A_HUB_SERVER', message: `${url} does not answer like a sqlferry hub server (HTTP 404 without the sqlferry protocol header)` });
  });

  it('says so when nothing listens, and gives up on a server that never answers', async () => {
    const refused = await (await httpRemote.open(`http://127.0.0.1:${await freePort()}/app`)).head().catch((e) => e);
    expect(refused).toMatchObject({ code: 'HUB_UNREACHABLE' });
    expect(refused.message).toMatch(/connection refused/);
    const silent = createTcpServer(() => {});
    await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok));
    process.env.SQLFERRY_TIMEOUT = '1';
    try {
      const err = await (await httpRemote.open(`http://127.0.0.1:${(silent.address() as { port: number }).port}/app`)).head().catch((e) => e);
      expect(err).toMatchObject({ code: 'HUB_TIMEOUT' });
    } finally {
      delete process.env.SQLFERRY_TIMEOUT;
      silent.close();
    }
  });
});

describe('serve: HTTPS', () => {
  const worker = fileURLToPath(new URL('../remote/append-worker.ts', import.meta.url));

  it('serves TLS; an untrusted certificate is one sentence, a trusted one works', async () => {
    const cert = join(root, 'cert.pem');
    const key = join(root, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const tls = await serve({ tls: { cert, key } });
    expect(tls.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const tlsHub = await fileRemote.create(join(root, 'tls-hub'), hubInfo());
    await addGenesis(tlsHub);
    const url = `${tls.url}/tls-hub`;
    const err = await as(WRITER, async () => (await httpRemote.open(url)).head()).catch((e) => e);
    expect(err).toMatchObject({ code: 'HUB_TLS_FAILED' });
    // Node reads NODE_EXTRA_CA_CERTS at start-up: a trusting client is another process.
    const r = await promisify(execFile)(process.execPath, [worker, url, 'tls', '3', '100'], { env: { ...process.env, SQLFERRY_TOKEN: WRITER, NODE_EXTRA_CA_CERTS: cert }, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('won 1\nwon 2\nwon 3\n');
  });
});
