// `serve --store postgres://…` while PostgreSQL stops and comes back: 503 with Retry-After, never
// anything half-written; several servers on one database are one hub; the real CLI end to end.
import { describe, it, expect, afterAll } from 'vitest';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { PASSWORD, SKIP_POSTGRES, startPostgres } from '../remote/postgres.ts';
import { PgStore, postgresRemote } from '../../src/remote/postgres/index.ts';
import { httpRemote } from '../../src/remote/http/index.ts';
import { startHubServer } from '../../src/server/serve.ts';
import { addGenesis, changeset, entry, hubInfo, GENESIS_SHA } from '../remote/hub-fixtures.ts';
import { sha256, collect } from '../../src/hub/checksum.ts';
import { serveStore } from './serve-store.ts';

const TOKEN = 'pg-serve-token-0123456789abcdef';

describe.skipIf(SKIP_POSTGRES)(SKIP_POSTGRES ?? 'serve on PostgreSQL', () => {
  it('answers 503 with Retry-After while PostgreSQL is down, stores nothing half, and serves again once it is back', async () => {
    const pg = await startPostgres();
    pg.createDatabase('hubs');
    const store = new PgStore(pg.storeUrl('hubs'));
    const server = await startHubServer({ store, host: '127.0.0.1', port: 0, tokens: [], noAuth: true, maxEntryBytes: 64 << 20, maxSnapshotBytes: 64 << 20, log: () => {} });
    try {
      const url = `${server.url}/app`;
      const hub = await httpRemote.create(url, hubInfo());
      await addGenesis(hub);
      const big = changeset('big', 24 << 20);
      const appending = hub.append(entry(1, big), big).then(() => 'stored', (err) => err);
      await new Promise((r) => setTimeout(r, 150));
      pg.stop();
      const outcome = await appending;
      const down = await fetch(`${url}/head`);
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toBe('5');
      const error = ((await down.json()) as { error: { code: string; message: string } }).error;
      expect(error).toMatchObject({ code: 'HUB_STORE_UNAVAILABLE', message: 'the PostgreSQL database of /app is unavailable' }); // nothing of the server's insides
      await expect(hub.head()).rejects.toMatchObject({ code: 'HUB_STORE_UNAVAILABLE', message: expect.stringContaining('is unavailable') });
      pg.start();
      const head = await hub.head();
      if (outcome === 'stored') expect(head).toBe(1);
      else {
        expect(outcome).toMatchObject({ code: expect.stringMatching(/HUB_STORE_UNAVAILABLE|HUB_CONNECTION_LOST/) });
        expect(head).toBe(0); // the cut transaction left nothing
        await hub.append(entry(1, big), big);
      }
      expect(sha256(await collect((await hub.read(1)).body))).toBe(sha256(big));
      await hub.close();
    } finally {
      await server.close(100);
      await store.close();
      pg.stop();
    }
  });

  it('finds the password in PGPASSWORD or the password file, and says so when PostgreSQL refuses it', async () => {
    const pg = await startPostgres();
    pg.createDatabase('logins');
    const url = `${pg.storeUrl('logins')}/app`;
    try {
      await (await postgresRemote.create(url, hubInfo())).close(); // through PGPASSFILE
      process.env.PGPASSWORD = 'not-the-password';
      const hub = await postgresRemote.open(url);
      await expect(hub.head()).rejects.toMatchObject({ code: 'HUB_STORE_FAILED', message: expect.stringContaining('password authentication failed for user "sqlferry"') });
      await hub.close();
      process.env.PGPASSWORD = PASSWORD;
      process.env.PGPASSFILE = '/nonexistent';
      const again = await postgresRemote.open(url);
      expect(await again.head()).toBe(0);
      await again.close();
    } finally {
      delete process.env.PGPASSWORD;
      pg.stop();
    }
  });

  it('runs as `sqlferry serve --store postgres://…` processes sharing one database: one hub, racing appends exactly-one-wins', async () => {
    const pg = await startPostgres();
    pg.createDatabase('shared');
    const children: ChildProcessWithoutNullStreams[] = [];
    afterAll(() => {
      for (const c of children) c.kill('SIGKILL');
      pg.stop();
    });
    const urls = await Promise.all([0, 1].map(() => serveStore(pg.storeUrl('shared'), children, { ...process.env, SQLFERRY_TOKEN: TOKEN })));
    process.env.SQLFERRY_TOKEN = TOKEN;
    const a = await httpRemote.create(`${urls[0]}/app`, hubInfo());
    await addGenesis(a);
    const b = await httpRemote.open(`${urls[1]}/app`);
    expect(await b.head()).toBe(0);
    const bodies = [0, 1, 2, 3, 4, 5].map((i) => changeset(`racer ${i}`));
    const results = await Promise.allSettled(bodies.map((body, i) => (i % 2 ? a : b).append(entry(1, body, GENESIS_SHA), body)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'HUB_ENTRY_EXISTS' });
    expect(await a.head()).toBe(1);
    expect(await b.head()).toBe(1);
    await a.close();
    await b.close();
  });
});
