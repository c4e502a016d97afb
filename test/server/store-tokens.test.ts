// Tokens kept in the store (`sqlferry token add|list|revoke`), checked by the real server at every
// request: per hub, read-only, expiry, revocation with no restart, only hashes stored. On the
// folder store always, and on PostgreSQL when it is installed.
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../repo/helpers.ts';
import { SKIP_POSTGRES, startPostgres } from '../remote/postgres.ts';
import type { TestPostgres } from '../remote/postgres.ts';
import { openStore } from '../../src/remote/registry.ts';
import { startHubServer } from '../../src/server/serve.ts';
import { tokenDigest } from '../../src/server/store-tokens.ts';
import { httpRemote } from '../../src/remote/http/index.ts';
import { addGenesis, changeset, entry, hubInfo } from '../remote/hub-fixtures.ts';

function as<T>(token: string, run: () => Promise<T>): Promise<T> {
  process.env.SQLFERRY_TOKEN = token;
  return run();
}

function tokenSuite(name: string, storeUrl: () => Promise<string>) {
  describe(`store tokens: ${name}`, () => {
    it('opens one hub or all, read-only or read-write, until it expires or is revoked (next request, no restart)', async () => {
      const where = await storeUrl();
      const store = await openStore(where);
      const server = await startHubServer({ store, host: '127.0.0.1', port: 0, tokens: [], maxEntryBytes: 1 << 20, maxSnapshotBytes: 1 << 20, log: () => {} });
      try {
        const add = (...args: string[]) => {
          const r = cli(tmpdir(), 'token', 'add', '--store', where, ...args);
          expect(r, r.stderr).toMatchObject({ status: 0 });
          return r.stdout.trim();
        };
        const admin = add();
        const appReader = add('--hub', 'app', '--read-only', '--expires', '30d');
        const otherWriter = add('--hub', 'other');
        const url = `${server.url}/app`;
        const hub = await as(admin, () => httpRemote.create(url, hubInfo()));
        await as(admin, () => addGenesis(hub));
        expect(await as(appReader, async () => (await httpRemote.open(url)).head())).toBe(0);
        const one = changeset('one');
        await expect(as(appReader, async () => (await httpRemote.open(url)).append(entry(1, one), one))).rejects.toMatchObject({ code: 'HUB_READ_ONLY' });
        await expect(as(otherWriter, async () => (await httpRemote.open(url)).head())).rejects.toMatchObject({ code: 'HUB_TOKEN_NOT_FOR_HUB', data: { status: 403 }, message: expect.stringContaining('that token opens the hub /other, not') });
        await expect(as('sqlferry_not-a-token-at-all-0123456789', async () => (await httpRemote.open(url)).head())).rejects.toMatchObject({ code: 'HUB_TOKEN_INVALID' });

        const expired = 'sqlferry_expired-token-0123456789abcdef';
        await store.tokens.add({ id: 'expired1', hub: null, access: 'write', tables: null, expires: new Date(Date.now() - 1000).toISOString(), created: new Date().toISOString() }, tokenDigest(expired));
        await expect(as(expired, async () => (await httpRemote.open(url)).head())).rejects.toMatchObject({ code: 'HUB_TOKEN_EXPIRED', data: { status: 401 } });

        const listed = JSON.parse(cli(tmpdir(), 'token', 'list', '--store', where, '--json').stdout) as Array<{ id: string; hub: string | null; access: string; expires: string | null }>;
        expect(listed.map((t) => [t.hub, t.access, t.expires !== null])).toEqual([[null, 'write', false], ['app', 'read', true], ['other', 'write', false], [null, 'write', true]]);
        expect(JSON.stringify(listed)).not.toContain(admin.slice(9));
        const text = cli(tmpdir(), 'token', 'list', '--store', where).stdout;
        expect(text).toMatch(/^[0-9a-f]{12}\tapp\tread-only\tuntil \d{4}-/m);
        expect(text).toMatch(/^expired1\t\*\tread-write\texpired /m);

        await as(admin, async () => (await httpRemote.open(url)).append(entry(1, one), one));
        expect(cli(tmpdir(), 'token', 'revoke', '--store', where, listed[0]!.id)).toMatchObject({ status: 0, stdout: `Revoked token ${listed[0]!.id}\n` });
        await expect(as(admin, async () => (await httpRemote.open(url)).head())).rejects.toMatchObject({ code: 'HUB_TOKEN_INVALID' });
        expect(await as(appReader, async () => (await httpRemote.open(url)).head())).toBe(1);
        const again = cli(tmpdir(), 'token', 'revoke', '--store', where, listed[0]!.id);
        expect(again).toMatchObject({ status: 1, stderr: expect.stringMatching(/^error: .* has no token [0-9a-f]{12}\n/) });
        expect(cli(tmpdir(), 'token', 'add', '--store', where, '--expires', 'soon')).toMatchObject({ status: 2, stderr: expect.stringContaining('--expires must be a duration') });
      } finally {
        await server.close(100);
        await store.close();
      }
    });
  });
}

tokenSuite('folder', async () => {
  const root = mkdtempSync(join(tmpdir(), 'sqlferry-store-tokens-'));
  afterAll(() => {
    // Only hashes on disk: no file under the store holds a token.
    const files = readdirSync(join(root, '.sqlferry-tokens'));
    expect(files.every((f) => /^[0-9a-f]{64}\.json$/.test(f))).toBe(true);
    for (const f of files) expect(readFileSync(join(root, '.sqlferry-tokens', f), 'utf8')).not.toContain('sqlferry_');
  });
  return root;
});

if (!SKIP_POSTGRES) {
  let pg: TestPostgres | undefined;
  afterAll(() => pg?.stop());
  tokenSuite('postgres', async () => {
    pg = await startPostgres();
    pg.createDatabase('tokens');
    return pg.storeUrl('tokens');
  });
}
