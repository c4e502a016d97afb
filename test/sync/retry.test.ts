// `sync` keeps trying while others win the race to the hub, or while the hub's store is briefly
// down, instead of giving up after a fixed number of rounds: a fleet whose cron fires in the
// same second all gets through.
import { describe, it, expect, afterAll } from 'vitest';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { cpSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { cli, cliAsync, ok, sqlite3, tempDir } from '../adversarial/helpers.ts';
import { cloneReplica, firstReplica, newHub, sql, syncEach } from './helpers.ts';
import { Replica } from '../../src/repo/replica.ts';
import { initHub } from '../../src/sync/init-hub.ts';
import { addRemote } from '../../src/sync/remotes.ts';
import { dumpTables } from '../repo/helpers.ts';
import { SKIP_POSTGRES, startPostgres } from '../remote/postgres.ts';
import { serveStore } from '../server/serve-store.ts';

// One push wins each round, so the last of 8 needs more rounds than the 5 after which sync used
// to give up.
const FLEET = 8;

describe('sync beside a busy hub', () => {
  it(`gets ${FLEET} replicas started in the same moment through, each with exit 0`, { timeout: 240_000 }, async () => {
    const dir = tempDir();
    // The fleet is made in-process: only the syncs that race are the CLI's to test.
    const hubUrl = await newHub(dir);
    await firstReplica(dir, hubUrl, 'CREATE TABLE t(id INTEGER PRIMARY KEY, who TEXT);', 'r0');
    const dbs = Array.from({ length: FLEET }, (_, i) => `r${i}.db`);
    for (let i = 1; i < FLEET; i++) await cloneReplica(dir, hubUrl, `r${i}`);
    for (const [i, db] of dbs.entries()) sqlite3(join(dir, db), `INSERT INTO t VALUES (${i + 1}, '${db}');`);

    const runs = await Promise.all(dbs.map((db) => cliAsync(dir, '--db', db, '-v', 'sync')));

    expect(runs.filter((r) => r.status !== 0).map((r) => r.stderr)).toEqual([]);
    expect(runs.some((r) => /another replica pushed first; trying again/.test(r.stderr))).toBe(true); // they really raced
    // A second round, in-process, brings the early winners what the later ones pushed.
    await syncEach(hubUrl, dbs.map((db) => join(dir, db)));
    const hub = dumpTables(join(dir, 'r0.db'));
    expect(sqlite3(join(dir, 'r0.db'), 'SELECT count(*) FROM t;').trim()).toBe(String(FLEET));
    for (const db of dbs) expect(dumpTables(join(dir, db))).toEqual(hub);
  });

  it('does not retry what retrying cannot fix: a hub restored from an older backup', async () => {
    const dir = tempDir();
    await firstReplica(dir, await newHub(dir), 'CREATE TABLE t(id INTEGER PRIMARY KEY);');
    cpSync(join(dir, 'hub'), join(dir, 'backup'), { recursive: true });
    sqlite3(join(dir, 'a.db'), 'INSERT INTO t VALUES (1);');
    ok(cli(dir, '--db', 'a.db', 'sync'));
    rmSync(join(dir, 'hub'), { recursive: true });
    renameSync(join(dir, 'backup'), join(dir, 'hub'));
    sqlite3(join(dir, 'a.db'), 'INSERT INTO t VALUES (2);');

    const behind = cli(dir, '--db', 'a.db', '-v', 'sync', '--retry-for', '60');

    expect(behind.status).toBe(6);
    expect(behind.stderr).toMatch(/has 0 entries, this replica has seen 1/);
    expect(behind.stderr).not.toMatch(/trying again/);
  });
});

/**
 * A TCP relay to `port` that, once, lets a large upload (over 20 kB, compressed or not) through and then cuts the connection
 * instead of passing the server's answer back: an append that landed on the hub unseen.
 */
async function answerLosingRelay(port: number): Promise<{ port: number; cut: () => boolean; close: () => void }> {
  let cut = false;
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    client.on('error', () => {});
    upstream.on('error', () => {});
    let up = 0;
    client.on('data', (d: Buffer) => (up += d.length));
    client.pipe(upstream);
    upstream.on('data', (d: Buffer) => {
      if (!cut && up > 20_000) {
        cut = true;
        client.destroy();
        upstream.destroy();
      } else client.write(d);
    });
    upstream.on('end', () => client.end());
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { port: (server.address() as AddressInfo).port, cut: () => cut, close: () => server.close() };
}

describe('sync over a connection that drops', () => {
  const children: ChildProcessWithoutNullStreams[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  it('runs the round again when the answer to its append is lost, and the entry lands once', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'store'));
    process.env.SQLFERRY_TOKEN = 'retry-test-token-0123456789abcdef';
    try {
      const served = new URL(await serveStore(join(dir, 'store'), children));
      const relay = await answerLosingRelay(Number(served.port)); // in this process: every CLI through it runs async
      const url = `http://127.0.0.1:${relay.port}/app`;
      // The hub and the replica are made in-process (the relay lets small requests through): the sync that loses its answer is the CLI's.
      await initHub(url);
      await firstReplica(dir, url, 'CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);');
      sqlite3(join(dir, 'a.db'), "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) INSERT INTO t SELECT i, hex(randomblob(40)) FROM n;");

      const run = await cliAsync(dir, '--db', 'a.db', '-v', 'sync');

      expect(relay.cut()).toBe(true);
      expect(run.stderr).toMatch(/the connection to the hub dropped; trying again/);
      expect(run.status).toBe(0);
      await cloneReplica(dir, url, 'b');
      expect(sqlite3(join(dir, 'b.db'), 'SELECT count(*) FROM t;').trim()).toBe('500');
      expect(JSON.parse(ok(await cliAsync(dir, '--db', 'a.db', 'status', '--json')).stdout)).toMatchObject({ hub: { seq: 1, unpushed: 0 } }); // its own entry 1, recognised, not pushed twice
      relay.close();
    } finally {
      delete process.env.SQLFERRY_TOKEN;
    }
  });
});

describe.skipIf(SKIP_POSTGRES)(SKIP_POSTGRES ?? 'sync while the hub store restarts', () => {
  const children: ChildProcessWithoutNullStreams[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  it('waits as the server asks (503, Retry-After) while PostgreSQL is down, then syncs with exit 0', { timeout: 120_000 }, async () => {
    const pg = await startPostgres();
    try {
      pg.createDatabase('hubs');
      process.env.SQLFERRY_TOKEN = 'retry-test-token-0123456789abcdef'; // for serve and for the CLIs
      const base = await serveStore(pg.storeUrl('hubs'), children);
      const dir = tempDir();
      const url = `${base}/app`;
      // The hub and the replica are made in-process: the sync that waits for the store is the CLI's.
      await initHub(url);
      sql(join(dir, 'a.db'), 'CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, \'a\');');
      addRemote(Replica.init(join(dir, 'a.db')), 'origin', url);
      pg.stop();
      const syncing = cliAsync(dir, '--db', 'a.db', '-v', 'sync', '--retry-for', '90');
      await new Promise((r) => setTimeout(r, 2_000));
      pg.start();
      const run = await syncing;
      expect(run.stderr).toMatch(/the hub's store is unavailable; trying again in \d/);
      expect(run.status).toBe(0);
      await cloneReplica(dir, url, 'b');
      expect(sqlite3(join(dir, 'b.db'), 'SELECT * FROM t;').trim()).toBe('1|a');
    } finally {
      delete process.env.SQLFERRY_TOKEN;
      pg.stop();
    }
  });
});
