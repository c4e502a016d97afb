// An HTTP hub sends its head with its info (src/hub/wire.ts), so a pull at the hub's head asks it
// once. Both directions of the change, through a proxy in front of the real server that counts
// the requests and, as a server from before the change, can drop the head from the info (or, as
// a broken one, damage it): a client that reads the info alone gets it as before, a client
// meeting an older server asks for the head itself.
import { describe, it, expect, afterAll } from 'vitest';
import { createServer, request, type IncomingMessage } from 'node:http';
import { startHubServer } from '../../src/server/serve.ts';
import { openFolderRoot } from '../../src/remote/file/store.ts';
import { loadTokens } from '../../src/server/tokens.ts';
import { initHub } from '../../src/sync/init-hub.ts';
import { parseHubInfo } from '../../src/hub/meta.ts';
import { chooseHandlers } from '../../src/sync/handlers/index.ts';
import { pull } from '../../src/sync/pull.ts';
import { positionOf } from '../../src/sync/hub-state.ts';
import type { Remote } from '../../src/hub/remote.ts';
import { cloneReplica, commitAll, firstReplica, newHub, pullWith, pushTo, rows, sql, tempDir, withRemote } from './helpers.ts';

const token = 'info-head-token-0123456789abcdef';
const tokenWas = process.env.SQLFERRY_TOKEN;
process.env.SQLFERRY_TOKEN = token;
const root = tempDir('sqlferry-info-head-');
const server = await startHubServer({
  store: openFolderRoot(root), host: '127.0.0.1', port: 0, tokens: loadTokens(token, undefined),
  maxEntryBytes: 1 << 20, maxSnapshotBytes: 1 << 20, log: () => {},
});

/** What the proxy does to the info's answer: passes it, drops its head (a server from before), or damages it. */
let infoHead: 'as sent' | 'dropped' | 'damaged' = 'as sent';
const requests: string[] = [];
const proxy = createServer((req, res) => {
  requests.push(`${req.method} ${req.url}`);
  const upstream = request(`${server.url}${req.url}`, { method: req.method, headers: req.headers }, async (answer: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of answer) chunks.push(chunk as Buffer);
    let body = Buffer.concat(chunks);
    const headers = { ...answer.headers };
    if (req.method === 'GET' && req.url?.endsWith('/info') && answer.statusCode === 200 && infoHead !== 'as sent') {
      const info = JSON.parse(body.toString('utf8'));
      if (infoHead === 'dropped') delete info.head;
      else info.head = -1;
      body = Buffer.from(JSON.stringify(info));
      headers['content-length'] = String(body.length);
    }
    res.writeHead(answer.statusCode!, headers);
    res.end(body);
  });
  req.pipe(upstream);
});
await new Promise<void>((ok) => proxy.listen(0, '127.0.0.1', ok));
const proxied = (name: string) => `http://127.0.0.1:${(proxy.address() as { port: number }).port}/${name}`;
afterAll(async () => {
  proxy.close();
  await server.close(100);
  if (tokenWas === undefined) delete process.env.SQLFERRY_TOKEN;
  else process.env.SQLFERRY_TOKEN = tokenWas;
});

let hubs = 0;
/** A hub with one entry beyond its genesis, replica `a` (which pushed it) and replica `b` cloned at its head. */
async function hubAtOne() {
  const dir = tempDir('sqlferry-info-head-replicas-');
  const url = proxied(`hub${hubs++}`);
  await initHub(url);
  const a = await firstReplica(dir, url, 'CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, \'one\');');
  sql(a.paths.db, 'INSERT INTO t VALUES (2, \'two\')');
  commitAll(a);
  await pushTo(a, url);
  const b = await cloneReplica(dir, url, 'b');
  return { url, a, b };
}

describe('the hub\'s head with its info', () => {
  it('is in the info\'s answer; a client reading the info alone (as before) gets the same info, and the head asked apart', async () => {
    infoHead = 'as sent';
    const { url } = await hubAtOne();
    const answer = await fetch(`${server.url}${new URL(url).pathname}/info`, { headers: { authorization: `Bearer ${token}` } });
    const text = await answer.text();
    expect(JSON.parse(text)).toMatchObject({ format: 'sqlferry-hub', version: 1, head: 1 });
    const info = parseHubInfo(text, 'the info'); // what a client from before the change reads
    expect(info).not.toHaveProperty('head');
    await withRemote(url, async (remote) => {
      expect(await remote.info()).toEqual(info);
      expect(await remote.head()).toBe(1);
    });
  });

  it('saves a pull at the head its second request; a pull that has entries to take still takes them', async () => {
    infoHead = 'as sent';
    const { url, a, b } = await hubAtOne();
    requests.length = 0;
    expect(await pullWith(b, url)).toMatchObject({ pulled: 0, head: 1 });
    expect(requests).toEqual([`GET ${new URL(url).pathname}/info`]);

    sql(a.paths.db, 'INSERT INTO t VALUES (3, \'three\')');
    commitAll(a);
    await pushTo(a, url);
    expect(await pullWith(b, url)).toMatchObject({ pulled: 1, head: 2 });
    expect(rows(b.paths.db, 't').map((r) => r.v)).toEqual(['one', 'two', 'three']);
  });

  it('is taken from the info only by the call that asked for the info: the next one asks the head anew', async () => {
    infoHead = 'as sent';
    const { url, a } = await hubAtOne();
    await withRemote(url, async (remote) => {
      requests.length = 0;
      expect((await remote.infoAndHead!()).head).toBe(1);
      sql(a.paths.db, 'INSERT INTO t VALUES (3, \'three\')');
      commitAll(a);
      await pushTo(a, url);
      requests.length = 0;
      expect((await remote.infoAndHead!()).head).toBe(2);
      expect(requests).toEqual([`GET ${new URL(url).pathname}/head`]);
    });
  });

  it('is asked for apart from a server whose info lacks it (before the change)', async () => {
    infoHead = 'dropped';
    const { url, a, b } = await hubAtOne();
    requests.length = 0;
    expect(await pullWith(b, url)).toMatchObject({ pulled: 0, head: 1 });
    expect(requests).toEqual([`GET ${new URL(url).pathname}/info`, `GET ${new URL(url).pathname}/head`]);

    sql(a.paths.db, 'INSERT INTO t VALUES (3, \'three\')');
    commitAll(a);
    await pushTo(a, url);
    expect(await pullWith(b, url)).toMatchObject({ pulled: 1, head: 2 });
    expect(rows(b.paths.db, 't').map((r) => r.v)).toEqual(['one', 'two', 'three']);
  });

  it('refuses a head in the info that is not an entry number, in one sentence, pulling nothing', async () => {
    infoHead = 'as sent';
    const { url, b } = await hubAtOne();
    infoHead = 'damaged';
    await expect(pullWith(b, url)).rejects.toMatchObject({
      code: 'HUB_BAD_ANSWER',
      message: `${url} sent an answer sqlferry does not understand while reading the hub info`,
    });
    infoHead = 'as sent';
    expect(await pullWith(b, url)).toMatchObject({ pulled: 0, head: 1 });
  });
});

describe('a head read with the info, before meeting the hub', () => {
  it('is read again when the replica\'s own entry landed after it (a push whose answer was lost): taken as pushed, not a hub behind', async () => {
    const dir = tempDir();
    const hub = await newHub(dir);
    const a = await firstReplica(dir, hub, 'CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);');
    sql(a.paths.db, 'INSERT INTO t VALUES (1, \'one\')');
    commitAll(a);
    const before = a.state();
    await pushTo(a, hub);
    a.writeState(before); // entry 1 is on the hub; the replica never heard back
    const handlers = await chooseHandlers([]);
    await withRemote(hub, async (remote) => {
      // The head as read just before entry 1 was stored.
      const readEarly: Remote = Object.assign(Object.create(remote) as Remote, { infoAndHead: async () => ({ info: await remote.info(), head: 0 }) });
      expect(await pull(a, readEarly, { handlers })).toMatchObject({ pulled: 0, head: 1 });
    });
    expect(positionOf(a).hubSeq).toBe(1);
  });
});
