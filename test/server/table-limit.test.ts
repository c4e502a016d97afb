// Tokens limited to tables (`sqlferry token add --tables …`), against the real `serve`: a limited
// token pushes to its tables; an entry changing, creating or altering any other is refused whole
// (403 HUB_TABLE_NOT_ALLOWED, nothing stored, the replica keeps its commit); snapshots and new
// hubs are refused; unlimited tokens and records kept before the limit existed are unaffected.
import { describe, it, expect, afterAll } from 'vitest';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { cli, sqlite3, tempDir } from '../repo/helpers.ts';
import { serveStore } from './serve-store.ts';
import { SKIP_POSTGRES, startPostgres } from '../remote/postgres.ts';
import type { TestPostgres } from '../remote/postgres.ts';
import { httpRemote } from '../../src/remote/http/index.ts';
import { fileRemote } from '../../src/remote/file/index.ts';
import { tokenDigest } from '../../src/server/store-tokens.ts';
import { checkEntryTables } from '../../src/server/table-limit.ts';
import { writeChangeset } from '../../src/changeset/writer.ts';
import { sha256 } from '../../src/hub/checksum.ts';
import type { Remote } from '../../src/hub/remote.ts';
import { GENESIS, addGenesis, entry, hubInfo, snapshotOf } from '../remote/hub-fixtures.ts';

const children: ChildProcessWithoutNullStreams[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGTERM');
});

/** The CLI with `token` as SQLFERRY_TOKEN. */
function as(token: string | undefined, cwd: string, ...args: string[]) {
  if (token === undefined) delete process.env.SQLFERRY_TOKEN;
  else process.env.SQLFERRY_TOKEN = token;
  return cli(cwd, ...args);
}

function tokenAdd(store: string, ...args: string[]): string {
  const r = as(undefined, '/', 'token', 'add', '--store', store, ...args);
  expect(r, r.stderr).toMatchObject({ status: 0 });
  return r.stdout.trim();
}

async function open(token: string, url: string): Promise<Remote> {
  process.env.SQLFERRY_TOKEN = token;
  return httpRemote.open(url);
}

/** A changeset inserting row `id` into each of `tables` (columns id, v), in that order. */
function rows(tables: string[], id = 1, kind: 'changeset' | 'patchset' = 'changeset'): Uint8Array {
  return writeChangeset(kind, tables.map((name) => ({
    table: { name, pk: [true, false] }, op: 'INSERT' as const, indirect: false, old: undefined,
    new: [{ type: 'integer' as const, value: BigInt(id) }, { type: 'text' as const, value: Buffer.from('v') }],
  })));
}

/** Entry head+1 of `hub` holding `bytes` and `schema`, appended with the token `hub` was opened with. */
async function append(hub: Remote, bytes: Uint8Array, schema: string[]): Promise<void> {
  const head = await hub.head();
  const parent = head === 0 ? sha256(GENESIS) : (await hub.list(head - 1, 1))[0]!.sha256;
  await hub.append({ ...entry(head + 1, bytes, parent), schema }, bytes);
}

const listed = (store: string) => JSON.parse(as(undefined, '/', 'token', 'list', '--store', store, '--json').stdout) as Array<{ id: string; access: string; tables: string[] | null }>;

describe('tokens limited to tables: the check', () => {
  it('compares names as SQLite does (ASCII letters only) and looks at every table of the entry', () => {
    const meta = (bytes: Uint8Array, schema: string[] = []) => ({ ...entry(1, bytes), schema });
    expect(() => checkEntryTables('/h', ['readings', 'ÄB'], meta(rows(['READINGS', 'Äb'])), rows(['READINGS', 'Äb']))).not.toThrow();
    expect(() => checkEntryTables('/h', ['readings', 'ÄB'], meta(rows(['readings', 'äb'])), rows(['readings', 'äb']))).toThrow(/it changes the table "äb", and this token may write only the tables "readings", "ÄB"/);
    expect(() => checkEntryTables('/h', ['a'], meta(rows(['a', 'a2', 'a'])), rows(['a', 'a2', 'a']))).toThrow(/changes the table "a2"/);
    expect(() => checkEntryTables('/h', ['a'], meta(rows(['a', 'b'], 1, 'patchset')), rows(['a', 'b'], 1, 'patchset'))).toThrow(/changes the table "b"/);
    expect(() => checkEntryTables('/h', ['a'], meta(new Uint8Array(), ['CREATE INDEX i ON main."A" (v)', 'ALTER TABLE a ADD COLUMN w']), new Uint8Array())).not.toThrow();
  });
});

describe('tokens limited to tables: folder store, the real serve and CLI', () => {
  it('pushes to its tables; a push touching another is refused whole and the replica pushes it later with a wider token', async () => {
    const dir = tempDir();
    const store = join(dir, 'store');
    mkdirSync(store);
    expect(cli(dir, 'init', '--bare', join(store, 'app')).status).toBe(0);
    const admin = tokenAdd(store);
    const limited = tokenAdd(store, '--hub', 'app', '--tables', 'readings, Device_Log,readings');
    const base = await serveStore(store, children, { ...process.env, SQLFERRY_TOKEN: '' });
    const url = `${base}/app`;
    sqlite3(join(dir, 'a.db'), 'CREATE TABLE readings(id INTEGER PRIMARY KEY, v); CREATE TABLE device_log(id INTEGER PRIMARY KEY, msg); CREATE TABLE secret(id INTEGER PRIMARY KEY, s);');
    expect(as(admin, dir, 'init', 'a.db').status).toBe(0);
    expect(as(admin, dir, '--db', 'a.db', 'remote', 'add', 'origin', url).status).toBe(0);
    expect(as(admin, dir, '--db', 'a.db', 'push')).toMatchObject({ status: 0 });
    expect(as(limited, dir, 'clone', url, 'b.db')).toMatchObject({ status: 0 });

    sqlite3(join(dir, 'b.db'), "INSERT INTO readings VALUES (1, 20.5); INSERT INTO device_log VALUES (1, 'up');");
    expect(as(limited, dir, '--db', 'b.db', 'sync')).toMatchObject({ status: 0, stderr: '' });
    // The hub read from its folder: an HTTP connection kept alive across the CLI's synchronous
    // runs may be closed by the server under it.
    const hub = await fileRemote.open(join(store, 'app'));
    expect(await hub.head()).toBe(1);
    // Once a snapshot is due, a limited token leaves it to others, with no warning.
    sqlite3(join(dir, 'b.db'), 'UPDATE readings SET v = randomblob(60000) WHERE id = 1;');
    expect(as(limited, dir, '--db', 'b.db', 'sync')).toMatchObject({ status: 0, stderr: '' });
    for (let i = 0; i < 2; i++) {
      sqlite3(join(dir, 'b.db'), 'UPDATE readings SET v = randomblob(60000) WHERE id = 1;');
      expect(as(limited, dir, '--db', 'b.db', 'commit').status).toBe(0);
    }
    const pushed = as(limited, dir, '--db', 'b.db', 'push', '--json');
    expect(pushed, pushed.stderr).toMatchObject({ status: 0, stderr: '' });
    expect(JSON.parse(pushed.stdout)).toMatchObject({ head: 4, snapshot: { skipped: 'not-allowed' } });
    expect(await hub.latestSnapshot()).toMatchObject({ seq: 0 });

    const files = () => readdirSync(join(store, 'app'), { recursive: true }).sort();
    const before = files();
    // Two commits go in one batch; the second touches another table: neither is stored.
    sqlite3(join(dir, 'b.db'), 'INSERT INTO readings VALUES (3, 22);');
    expect(as(limited, dir, '--db', 'b.db', 'commit').status).toBe(0);
    sqlite3(join(dir, 'b.db'), "INSERT INTO readings VALUES (2, 21); INSERT INTO secret VALUES (1, 'mine');");
    expect(as(limited, dir, '--db', 'b.db', 'commit').status).toBe(0);
    for (const command of ['push', 'sync']) {
      const refused = as(limited, dir, '--db', 'b.db', command);
      expect(refused.status).toBe(4);
      expect(refused.stderr).toMatch(/^error: the hub at http:\/\/127\.0\.0\.1:\d+\/app refused entry 6: it changes the table "secret", and this token may write only the tables "readings", "Device_Log"\nhint: nothing was stored, and this replica keeps its commits/);
    }
    expect(await hub.head()).toBe(4);
    expect(files()).toEqual(before);

    sqlite3(join(dir, 'a.db'), "INSERT INTO secret VALUES (2, 'admin''s');");
    expect(as(admin, dir, '--db', 'a.db', 'sync')).toMatchObject({ status: 0 }); // an unlimited token is unaffected
    const wider = tokenAdd(store, '--hub', 'app', '--tables', 'readings,device_log,SECRET');
    expect(as(wider, dir, '--db', 'b.db', 'sync')).toMatchObject({ status: 0, stderr: '' });
    expect(as(admin, dir, '--db', 'a.db', 'sync')).toMatchObject({ status: 0 });
    expect(sqlite3(join(dir, 'a.db'), 'SELECT id, s FROM secret ORDER BY id;')).toBe("1|mine\n2|admin's\n");

    // A schema statement on another table: refused, the replica keeps it.
    sqlite3(join(dir, 'b.db'), 'ALTER TABLE secret ADD COLUMN note;');
    const schema = as(limited, dir, '--db', 'b.db', 'sync');
    expect(schema.status).toBe(4);
    expect(schema.stderr).toMatch(/^error: the hub at \S+ refused entry 7: its schema statement 1 adds a column to the table "secret", and this token may write only/);

    const text = as(undefined, dir, 'token', 'list', '--store', store).stdout;
    expect(text).toMatch(/^[0-9a-f]{12}\tapp\tread-write \(tables: readings,Device_Log\)\tno expiry\tcreated /m);
    expect(text).toMatch(/^[0-9a-f]{12}\t\*\tread-write\tno expiry\tcreated /m);
    expect(listed(store).map((t) => t.tables)).toEqual([null, ['readings', 'Device_Log'], ['readings', 'device_log', 'SECRET']]);
    expect(as(undefined, dir, 'token', 'add', '--store', store, '--read-only', '--tables', 'readings')).toMatchObject({ status: 2, stderr: expect.stringContaining('a --read-only token writes nothing') });
    expect(as(undefined, dir, 'token', 'add', '--store', store, '--tables', 'a,,b')).toMatchObject({ status: 2, stderr: expect.stringContaining('--tables must name tables separated by commas') });

    // Revoking the wider token holds from the next request on.
    as(undefined, dir, 'token', 'revoke', '--store', store, listed(store)[2]!.id);
    expect(as(wider, dir, '--db', 'b.db', 'pull')).toMatchObject({ status: 1, stderr: expect.stringContaining('refused the token') });
  });

  it('refuses schema statements on other tables, triggers, views, snapshots and new hubs; a record without tables opens every table', async () => {
    const store = tempDir();
    const admin = tokenAdd(store);
    const limited = tokenAdd(store, '--tables', 't,Readings');
    const old = 'sqlferry_a-token-kept-before-tables-existed';
    mkdirSync(join(store, '.sqlferry-tokens'), { recursive: true });
    writeFileSync(join(store, '.sqlferry-tokens', `${tokenDigest(old)}.json`), JSON.stringify({ id: 'old1', hub: null, access: 'write', expires: null, created: '2026-01-01T00:00:00.000Z' }));
    const base = await serveStore(store, children, { ...process.env, SQLFERRY_TOKEN: '' });
    process.env.SQLFERRY_TOKEN = admin;
    await addGenesis(await httpRemote.create(`${base}/raw`, hubInfo()));
    const hub = await open(limited, `${base}/raw`);

    await append(hub, rows(['t', 'READINGS']), ['CREATE TABLE t(id PRIMARY KEY, v)', 'CREATE INDEX i ON "readings" (v)', 'ALTER TABLE T ADD COLUMN w']);
    const refusals: Array<[string[], Uint8Array, RegExp, string?]> = [
      [[], rows(['t', 'secret']), /entry 2: it changes the table "secret", and this token may write only the tables "t", "Readings"/, 'secret'],
      [['CREATE TABLE secret(x)'], rows(['t']), /its schema statement 1 creates the table "secret"/, 'secret'],
      [['ALTER TABLE t ADD COLUMN x', 'CREATE INDEX j ON main.Secret(x)'], rows(['t']), /its schema statement 2 creates an index on the table "Secret"/, 'Secret'],
      [['DROP TABLE secret'], rows(['t']), /drops the table "secret"/, 'secret'],
      [['CREATE TRIGGER tr AFTER INSERT ON t BEGIN DELETE FROM secret; END'], rows(['t']), /creates a trigger \(a trigger may write any table\)/],
      [['DROP INDEX i'], rows(['t']), /drops an index \(the hub cannot tell on which table\)/],
      [['CREATE VIEW v AS SELECT 1'], rows(['t']), /creates a view/],
    ];
    for (const [schema, bytes, message, table] of refusals) {
      await expect(append(hub, bytes, schema)).rejects.toMatchObject({ code: 'HUB_TABLE_NOT_ALLOWED', exitCode: 4, message: expect.stringMatching(message), data: { status: 403, tables: ['t', 'Readings'], ...(table ? { table } : {}) } });
    }
    expect(await hub.head()).toBe(1);
    await expect(hub.writeSnapshot(snapshotOf(0, GENESIS), GENESIS)).rejects.toMatchObject({ code: 'HUB_TABLE_NOT_ALLOWED', data: { status: 403, reason: 'snapshot' }, message: expect.stringContaining('refused snapshot 0: a token limited to tables may not upload snapshots') });
    await expect(httpRemote.create(`${base}/new`, hubInfo())).rejects.toMatchObject({ code: 'HUB_TABLE_NOT_ALLOWED', data: { status: 403, reason: 'create-hub' } });

    await append(await open(old, `${base}/raw`), rows(['secret']), ['CREATE TABLE secret(id PRIMARY KEY, v)']);
    expect(await hub.head()).toBe(2);
    expect(listed(store).find((t) => t.id === 'old1')).toMatchObject({ access: 'write', tables: null });
  });
});

if (!SKIP_POSTGRES) {
  let db: TestPostgres | undefined;
  afterAll(() => db?.stop());
  describe('tokens limited to tables: PostgreSQL store', () => {
    it('adds the column to a tokens table from before (old rows: every table) and refuses a limited push touching another table', async () => {
      db = await startPostgres();
      db.createDatabase('limits');
      const store = db.storeUrl('limits');
      const old = 'sqlferry_a-token-kept-before-tables-existed';
      const client = new pg.Client({ connectionString: store });
      await client.connect();
      try {
        await client.query('CREATE TABLE sqlferry_tokens (id text PRIMARY KEY, digest text NOT NULL UNIQUE, hub text, access text NOT NULL, expires timestamptz, created timestamptz NOT NULL)');
        await client.query("INSERT INTO sqlferry_tokens VALUES ('old1', $1, NULL, 'write', NULL, now())", [tokenDigest(old)]);
      } finally {
        await client.end();
      }
      const limited = tokenAdd(store, '--hub', 'raw', '--tables', 't');
      expect(listed(store).map((t) => t.tables)).toEqual([null, ['t']]);
      const base = await serveStore(store, children, { ...process.env, SQLFERRY_TOKEN: '' });
      process.env.SQLFERRY_TOKEN = old;
      await addGenesis(await httpRemote.create(`${base}/raw`, hubInfo()));
      const hub = await open(limited, `${base}/raw`);
      await append(hub, rows(['T']), ['CREATE TABLE t(id PRIMARY KEY, v)']);
      await expect(append(hub, rows(['t', 'other']), [])).rejects.toMatchObject({ code: 'HUB_TABLE_NOT_ALLOWED', data: { status: 403, table: 'other' } });
      await expect(hub.writeSnapshot(snapshotOf(1, GENESIS), GENESIS)).rejects.toMatchObject({ code: 'HUB_TABLE_NOT_ALLOWED' });
      expect(await hub.head()).toBe(1);
      expect(await (await open(old, `${base}/raw`)).latestSnapshot()).toMatchObject({ seq: 0 });
      await append(await open(old, `${base}/raw`), rows(['other']), ['CREATE TABLE other(id PRIMARY KEY, v)']);
      expect(await hub.head()).toBe(2);
    });
  });
}
