// Pull speed against SQLite's own applyChangeset, side by side: a replica with no local changes
// pulls 100,000 hub changes (10 entries: inserts, updates, deletes), end to end — fetch and
// checksum, the live transaction, the sidecar (log, state, fingerprint). Target: ≤ 1.3 ×
// applyChangeset of the same entries on a copy of the same database, in one transaction. Two
// cases: a database small next to the pull (30% as many rows as changes), and a big one (500,000
// rows), where copying the database to refresh base.db would cost more than the pull.
// Run: npx node bench/pull.ts [changes] [runs] [big-case rows]
import { closeSync, cpSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { commit } from '../src/repo/capture/commit.ts';
import { Replica } from '../src/repo/replica.ts';
import { openRemote } from '../src/remote/registry.ts';
import { chooseHandlers } from '../src/sync/handlers/index.ts';
import { clone } from '../src/sync/clone.ts';
import { initHub } from '../src/sync/init-hub.ts';
import { pull } from '../src/sync/pull.ts';
import { push } from '../src/sync/push.ts';
import { addRemote } from '../src/sync/remotes.ts';

const changes = Number(process.argv[2] ?? 100_000);
const runs = Number(process.argv[3] ?? 15); // timed runs per side, one after the other
const entries = 10;
const per = changes / entries;
const bigRows = Number(process.argv[4] ?? 500_000);
const dir = mkdtempSync(join(tmpdir(), 'sqlferry-bench-pull-'));
const handlers = await chooseHandlers([]);
for (const existing of [Math.round(changes * 0.3), bigRows]) await benchCase(existing);
rmSync(dir, { recursive: true, force: true });

async function benchCase(existing: number): Promise<void> {
  const pristine = join(dir, 'pristine'); // hub and replicas are built here, then copied per run
  rmSync(pristine, { recursive: true, force: true });
  mkdirSync(pristine);
  const hubUrl = join(pristine, 'hub');
  await initHub(hubUrl);

  // A: the genesis holds `existing` rows; its 10 commits insert, update and delete.
  const aPath = join(pristine, 'a.db');
  const a0 = new DatabaseSync(aPath);
  a0.exec('CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT, price REAL, qty INTEGER, note TEXT)');
  a0.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${existing}) INSERT INTO item SELECT i, 'item ' || i, i * 0.25, i % 100, 'old' FROM n`);
  a0.close();
  const a = Replica.init(aPath);
  addRemote(a, 'origin', hubUrl);
  const remote = await openRemote(hubUrl);
  await push(a, remote);
  const bPath = join(pristine, 'b.db');
  await clone(remote, bPath, { handlers });
  let nextId = existing + 1;
  for (let e = 0; e < entries; e++) {
    const db = new DatabaseSync(aPath);
    const inserts = Math.round(per * 0.7);
    const updates = Math.round(per * 0.2);
    const deletes = per - inserts - updates;
    const lo = e * (updates + deletes) + 1; // a fresh slice of the existing rows per entry
    db.exec(`WITH RECURSIVE n(i) AS (SELECT ${nextId} UNION ALL SELECT i + 1 FROM n WHERE i < ${nextId + inserts - 1}) INSERT INTO item SELECT i, 'new ' || i, i * 0.5, i % 7, 'fresh' FROM n`);
    db.exec(`UPDATE item SET qty = qty + 1, note = 'changed' WHERE id BETWEEN ${lo} AND ${lo + updates - 1}`);
    db.exec(`DELETE FROM item WHERE id BETWEEN ${lo + updates} AND ${lo + updates + deletes - 1}`);
    db.close();
    nextId += inserts;
    commit(a, { message: `batch ${e}` });
  }
  await push(a, remote);
  const hubEntries = await Promise.all((await remote.list(0)).map(async (m) => new Uint8Array(readFileSync(join(hubUrl, 'log', (JSON.parse(readFileSync(join(hubUrl, 'log', `${String(m.seq).padStart(20, '0')}.json`), 'utf8')) as { file: string }).file)))));
  console.log(`hub: ${entries} entries, ${changes.toLocaleString('en')} changes, ${(hubEntries.reduce((s, b) => s + b.length, 0) / 1e6).toFixed(1)} MB; replica: ${existing.toLocaleString('en')} rows, ${(statSync(bPath).size / 1e6).toFixed(1)} MB before the pull`);

  function fresh(run: string): string {
    const target = join(dir, run);
    rmSync(target, { recursive: true, force: true });
    cpSync(pristine, target, { recursive: true });
    flush(target);
    return target;
  }

  /** The copy is setup, not either side's work: written back before timing, so neither side waits on it. */
  function flush(path: string): void {
    if (statSync(path).isDirectory()) for (const name of readdirSync(path)) flush(join(path, name));
    const fd = openSync(path, 'r');
    fsyncSync(fd);
    closeSync(fd);
  }

  /** What the pull leaves to the next commands, timed after it (not part of its time). */
  const after = { clean: [] as number[], oneRow: [] as number[] };

  async function timePull(run: string): Promise<number> {
    const root = fresh(run);
    const replica = Replica.open(join(root, 'b.db'));
    // The steady state of a cron replica: its last sync's commit found nothing and left a
    // fingerprint, so "anything uncommitted?" is answered without reading the database.
    await new Promise((r) => setTimeout(r, 20));
    commit(replica);
    const r = await openRemote(join(root, 'hub'));
    const start = performance.now();
    const result = await pull(replica, r, { handlers });
    const took = performance.now() - start;
    if (result.pulled !== entries) throw new Error(`pulled ${result.pulled} entries`);
    // The next sync's commit: nothing changed (a replica that only pulls), then one row changed
    // by the application (base.db must reach the pulled state before it can be diffed).
    await new Promise((r) => setTimeout(r, 20));
    let t = performance.now();
    if (commit(replica) !== null) throw new Error('the pull left uncommitted changes');
    after.clean.push(performance.now() - t);
    const app = new DatabaseSync(join(root, 'b.db'));
    app.exec(`UPDATE item SET note = 'app' WHERE id = (SELECT max(id) FROM item)`);
    app.close();
    t = performance.now();
    if (commit(replica) === null) throw new Error('the one-row change was not found');
    after.oneRow.push(performance.now() - t);
    return took;
  }

  function timeApply(run: string): number {
    const root = fresh(run);
    const db = new DatabaseSync(join(root, 'b.db'), { enableForeignKeyConstraints: false });
    const start = performance.now();
    db.exec('BEGIN IMMEDIATE');
    for (const bytes of hubEntries) if (!db.applyChangeset(bytes)) throw new Error('applyChangeset aborted');
    db.exec('COMMIT');
    const took = performance.now() - start;
    db.close();
    return took;
  }

  const pulls: number[] = [];
  const applies: number[] = [];
  flush(pristine); // the setup's writes land before timing, not in whichever run comes first
  await timePull('warm');
  after.clean.length = after.oneRow.length = 0;
  for (let i = 0; i < runs; i++) {
    applies.push(timeApply(`apply${i}`));
    pulls.push(await timePull(`pull${i}`));
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} after ${runs} runs per side`);
  console.log(`applyChangeset: median ${median(applies).toFixed(0)} ms of ${applies.map((x) => x.toFixed(0)).join(', ')}`);
  console.log(`sqlferry pull:  median ${median(pulls).toFixed(0)} ms of ${pulls.map((x) => x.toFixed(0)).join(', ')}`);
  console.log(`ratio pull/applyChangeset: ${(median(pulls) / median(applies)).toFixed(2)} (target ≤ 1.30); of the fastest runs: ${(Math.min(...pulls) / Math.min(...applies)).toFixed(2)}`);
  console.log(`then, outside the pull's time: commit with nothing changed median ${median(after.clean).toFixed(0)} ms; commit of one changed row median ${median(after.oneRow).toFixed(0)} ms`);
  await remote.close();
  // The next case starts from an empty folder: its copies are not this case's.
  for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true });
}
