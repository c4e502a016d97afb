// The shared conformance suite on the PostgreSQL store, against a real PostgreSQL (./postgres.ts):
// as a remote of its own (postgres://…/DATABASE/HUB), and behind the real `serve --store`.
import { afterAll, describe, expect, it } from 'vitest';
import { hubInfo, remoteConformance } from './conformance.ts';
import { pruneHub } from '../../src/sync/prune-hub.ts';
import { droppingLink } from './dropping-link.ts';
import { SKIP_POSTGRES, startPostgres } from './postgres.ts';
import { postgresRemote, postgresHubStore, PgStore } from '../../src/remote/postgres/index.ts';
import { httpRemote } from '../../src/remote/http/index.ts';
import { openRemote } from '../../src/remote/registry.ts';
import { startHubServer } from '../../src/server/serve.ts';
import { loadTokens } from '../../src/server/tokens.ts';

if (SKIP_POSTGRES) {
  describe.skip(SKIP_POSTGRES, () => it('needs PostgreSQL', () => {}));
} else {
  const pg = await startPostgres();
  pg.createDatabase('conformance');
  afterAll(() => pg.stop());
  let n = 0;
  remoteConformance('postgres', {
    freshUrl: async () => `${pg.storeUrl('conformance')}/hub${n++}`,
    create: (url, info) => postgresRemote.create(url, info),
    open: (url) => openRemote(url),
    storeOf: async (url) => postgresHubStore(url),
  });

  const token = 'pg-conformance-token-0123456789abcdef';
  process.env.SQLFERRY_TOKEN = token;
  pg.createDatabase('served');
  const store = new PgStore(pg.storeUrl('served'));
  const server = await startHubServer({
    store, host: '127.0.0.1', port: 0, tokens: loadTokens(token, undefined),
    maxEntryBytes: 64 << 20, maxSnapshotBytes: 64 << 20, log: () => {},
  });
  afterAll(async () => {
    await server.close(100);
    await store.close();
  });
  remoteConformance('http on postgres', {
    freshUrl: async () => `${server.url}/hub${n++}`,
    create: (url, info) => httpRemote.create(url, info),
    open: (url) => openRemote(url),
    storeOf: async (url) => store.hub(new URL(url).pathname.slice(1)),
    async throughDroppingLink(url, direction, bytes) {
      const link = await droppingLink({ host: '127.0.0.1', port: Number(new URL(server.url).port) }, direction, bytes);
      return { url: `http://127.0.0.1:${link.port}${new URL(url).pathname}`, close: link.close };
    },
  });

  describe('hub prune', () => {
    it('finds nothing to prune in PostgreSQL, and sends a served hub\'s owner to the server', async () => {
      const pgHub = `${pg.storeUrl('conformance')}/pruned`;
      await (await postgresRemote.create(pgHub, hubInfo())).close();
      expect(await pruneHub(pgHub, { olderThanMs: 0, dryRun: false })).toEqual({ applies: false, removed: [], bytes: 0, recent: 0 });
      const served = `${server.url}/pruned`;
      await (await httpRemote.create(served, hubInfo())).close();
      await expect(pruneHub(served, { olderThanMs: 0, dryRun: false })).rejects.toMatchObject({ code: 'HUB_PRUNE_REMOTE', message: expect.stringContaining('prune it where its store is, on the server') });
    });
  });
}
