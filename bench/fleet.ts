// A fleet syncing through one hub, as users run it: REPLICAS real replicas, each `sqlferry sync
// --json` a process of its own. Per setup (a folder hub; 2 `serve` on one folder; 1 and 3 `serve`
// on one PostgreSQL, restarted once in the middle of the random phase):
//   burst  — every replica changes a row and all sync in the same moment (cron at the same second):
//            exit codes, and how many rounds each needed;
//   random — for SECONDS, each replica changes a row and syncs, again and again, a random
//            0..PAUSE seconds apart (as cron with jitter would): appends/s, p50/p99 sync time,
//            exit codes, server errors other than 503.
// Then every replica syncs once more and the run checks what must hold: the hub's entries are
// numbered 1..head with none twice, every replica has the same rows, and no row was lost.
// Run: npx node bench/fleet.ts [replicas] [seconds] [pause] [setup,…]   (setups: folder serve-folder-2 pg-1 pg-3)
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import { openRemote } from '../src/remote/registry.ts';
import { SKIP_POSTGRES, startPostgres, type TestPostgres } from '../test/remote/postgres.ts';
import { serveStore } from '../test/server/serve-store.ts';

const replicas = Number(process.argv[2] ?? 50);
const seconds = Number(process.argv[3] ?? 60);
const pause = Number(process.argv[4] ?? 20);
const setups = (process.argv[5] ?? 'folder,serve-folder-2,pg-1,pg-3').split(',');
const BIN = fileURLToPath(new URL('../bin/sqlferry.js', import.meta.url));
process.env.SQLFERRY_TOKEN = 'fleet-bench-token-0123456789abcdef';

interface Run { code: number; ms: number; stdout: string; stderr: string }

function sqlferry(cwd: string, ...args: string[]): Promise<Run> {
  const start = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, ms: performance.now() - start, stdout, stderr }));
  });
}

async function must(cwd: string, ...args: string[]): Promise<Run> {
  const r = await sqlferry(cwd, ...args);
  if (r.code !== 0) throw new Error(`sqlferry ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
  return r;
}

function write(db: string, sql: string): void {
  const conn = new DatabaseSync(db, { timeout: 10_000 });
  conn.exec(sql);
  conn.close();
}

function rows(db: string): string {
  const conn = new DatabaseSync(db, { readOnly: true });
  const all = conn.prepare('SELECT id, who, n FROM t ORDER BY id').all();
  conn.close();
  return JSON.stringify(all);
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function inBatches<T>(items: T[], size: number, each: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(each));
}

async function measure(setup: string, pg: TestPostgres | undefined): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `sqlferry-fleet-${setup}-`));
  const children: ChildProcessWithoutNullStreams[] = [];
  const serverErrors: string[] = [];
  let urls: string[];
  if (setup === 'folder') urls = [join(dir, 'hub')];
  else if (setup === 'serve-folder-2') {
    mkdirSync(join(dir, 'store'));
    urls = (await Promise.all([0, 1].map(() => serveStore(join(dir, 'store'), children, process.env, serverErrors)))).map((u) => `${u}/fleet`);
  } else {
    const database = setup.replace('-', '');
    pg!.createDatabase(database);
    const servers = Number(setup.split('-')[1]);
    urls = (await Promise.all(Array.from({ length: servers }, () => serveStore(pg!.storeUrl(database), children, process.env, serverErrors)))).map((u) => `${u}/fleet`);
  }
  try {
    await must(dir, 'init', '--bare', urls[0]!);
    const dbs = Array.from({ length: replicas }, (_, i) => join(dir, `r${i}.db`));
    write(dbs[0]!, 'CREATE TABLE t(id INTEGER PRIMARY KEY, who TEXT, n INTEGER)');
    await must(dir, 'init', dbs[0]!);
    await must(dir, '--db', dbs[0]!, 'remote', 'add', 'origin', urls[0]!);
    await must(dir, '--db', dbs[0]!, 'sync');
    // Each replica talks to one of the servers, as a fleet behind several would.
    await inBatches(dbs.slice(1), 4, (db) => must(dir, 'clone', urls[dbs.indexOf(db) % urls.length]!, db));
    let written = 0;
    const change = (i: number) => write(dbs[i]!, `INSERT INTO t VALUES (${++written}, 'r${i}', 0); UPDATE t SET n = n + 1 WHERE id = (SELECT max(id) FROM t WHERE who = 'r${i}')`);

    // Burst: all at once.
    dbs.forEach((_, i) => change(i));
    const burst = await Promise.all(dbs.map((db) => sqlferry(dir, '--db', db, 'sync', '--json')));
    const rounds = burst.filter((r) => r.code === 0).map((r) => (JSON.parse(r.stdout) as { attempts: number }).attempts).sort((a, b) => a - b);
    const burstFailed = burst.filter((r) => r.code !== 0 && r.code !== 3);

    // Random: each replica changes and syncs at random for SECONDS; PostgreSQL restarts once.
    const until = Date.now() + seconds * 1000;
    const randomRuns: Run[] = [];
    const restart = pg && setup.startsWith('pg') ? (async () => {
      await sleep((seconds * 1000) / 2);
      pg.stop();
      await sleep(2000);
      pg.start();
    })() : Promise.resolve();
    const head0 = Number(JSON.parse(burst.find((r) => r.code === 0)?.stdout ?? '{"head":0}').head);
    await Promise.all(dbs.map(async (db, i) => {
      while (Date.now() < until) {
        await sleep(Math.random() * pause * 1000);
        change(i);
        randomRuns.push(await sqlferry(dir, '--db', db, 'sync', '--json'));
      }
    }));
    await restart;
    const latencies = randomRuns.filter((r) => r.code === 0).map((r) => r.ms).sort((a, b) => a - b);
    const randomFailed = randomRuns.filter((r) => r.code !== 0 && r.code !== 3);

    // What must hold.
    for (const _pass of [1, 2]) for (const db of dbs) await must(dir, '--db', db, 'sync'); // the first pass pushes all, the second pulls all
    const hub = await openRemote(urls[0]!);
    const metas = await hub.list(0);
    await hub.close();
    const numbered = metas.every((m, i) => m.seq === i + 1) && new Set(metas.map((m) => m.sha256)).size === metas.length;
    const reference = rows(dbs[0]!);
    const converged = dbs.every((db) => rows(db) === reference);
    const complete = (JSON.parse(reference) as unknown[]).length === written;
    const fiveXX = serverErrors.filter((l) => !/is unavailable/.test(l));
    for (const r of [...burstFailed, ...randomFailed].slice(0, 3)) console.error(`${setup}: exit ${r.code}: ${r.stderr.trim()}`);
    for (const l of fiveXX.slice(0, 3)) console.error(`${setup}: server ${l}`);
    // The restart must have met requests: 503 answers say it did, the retries that followed them that the syncs rode it out.
    const retried = randomRuns.filter((r) => r.code === 0 && (JSON.parse(r.stdout) as { attempts: number }).attempts > 1).length;
    if (setup.startsWith('pg')) console.error(`${setup}: ${serverErrors.length - fiveXX.length} answers 503 while PostgreSQL was down; ${retried} random syncs needed more than one round; load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    return `| ${setup} | ${burst.length - burstFailed.length}/${burst.length} | ${pct(rounds, 0.5)} / ${rounds.at(-1)} | ${randomRuns.length - randomFailed.length}/${randomRuns.length} | ${((metas.length - head0) / seconds).toFixed(1)} | ${(pct(latencies, 0.5) / 1000).toFixed(2)} s | ${(pct(latencies, 0.99) / 1000).toFixed(2)} s | ${fiveXX.length} | ${numbered && converged && complete ? 'yes' : `NO (numbered ${numbered}, converged ${converged}, complete ${complete})`} |`;
  } finally {
    for (const c of children) c.kill('SIGTERM');
  }
}

const pg = setups.some((s) => s.startsWith('pg')) && !SKIP_POSTGRES ? await startPostgres({ durable: true }) : undefined;
console.log(`${replicas} replicas; random phase ${seconds} s, a replica's syncs 0..${pause} s apart\n`);
console.log('| setup | burst: exit 0 or 3 | burst rounds p50 / max | random: exit 0 or 3 | appends/s | sync p50 | sync p99 | server 5xx (not 503) | numbered, converged, nothing lost |');
console.log('|---|---|---|---|---|---|---|---|---|');
try {
  for (const setup of setups) {
    if (setup.startsWith('pg') && !pg) console.log(`| ${setup} | ${SKIP_POSTGRES} |`);
    else console.log(await measure(setup, pg));
  }
} finally {
  pg?.stop();
}
