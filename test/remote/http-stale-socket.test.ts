// A command busy for longer than the server's keep-alive timeout (6 s: a clone scanning a large
// snapshot) then asks again on kept-alive sockets the server has closed meanwhile: the GET is
// sent again on a live one, not reported as a dropped connection.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { openRemote } from '../../src/remote/registry.ts';
import { initHub } from '../../src/sync/init-hub.ts';
import { serveStore } from '../server/serve-store.ts';

const token = 'stale-socket-token-0123456789abcdef';
const tokenWas = process.env.SQLFERRY_TOKEN;
process.env.SQLFERRY_TOKEN = token;
// A server of its own process: its keep-alive timer runs while this one is busy.
const children: ChildProcessWithoutNullStreams[] = [];
const base = await serveStore(await mkdtemp(join(tmpdir(), 'sqlferry-stale-')), children);
afterAll(() => {
  for (const child of children) child.kill();
  if (tokenWas === undefined) delete process.env.SQLFERRY_TOKEN;
  else process.env.SQLFERRY_TOKEN = tokenWas;
});

describe('HTTP client after a long pause', () => {
  it('sends a GET again when the kept-alive sockets were closed by the server', async () => {
    const url = `${base}/hub`;
    await initHub(url);
    const remote = await openRemote(url);
    // Requests in parallel: several sockets in the pool, all to go stale.
    expect(await Promise.all([remote.head(), remote.head(), remote.list(0), remote.latestSnapshot()])).toEqual([0, 0, [], null]);
    const until = Date.now() + 7500; // past the 5 s keep-alive timeout and Node's 1 s buffer
    while (Date.now() < until); // busy, as a process scanning a database is: no event reaches the sockets
    expect(await remote.head()).toBe(0);
    await remote.close();
  }, 30_000);
});
