// The application's wait beside sqlferry: a Python app (stdlib sqlite3, test/adversarial/
// python-app.ts) commits one small transaction every 10 ms on replica a, and times each one,
// first write to COMMIT's return. Three phases of equal length, per journal mode:
//   alone   — nothing else touches the database (the app's own cost: its writes, its fsyncs);
//   commit  — `commit` on a in a loop (50 ms apart), capturing the app's rows;
//   sync    — replica b writes a row, commits and pushes; then `sync` on a (commit, pull that
//             rebases a's commit and the app's writes since over b's, push), in a loop.
// sqlferry runs in this process through the library (what the CLI runs after parsing); the
// database has `rows` other rows, which every capture compares with base.db.
// Targets for the largest wait beside sync: ≤ 250 ms (rollback journal), ≤ 100 ms (WAL).
// Run: npx node bench/app-lock-wait.ts [seconds per phase] [rows]
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { commit } from '../src/repo/capture/commit.ts';
import { Replica } from '../src/repo/replica.ts';
import { openRemote } from '../src/remote/registry.ts';
import { chooseHandlers } from '../src/sync/handlers/index.ts';
import { clone } from '../src/sync/clone.ts';
import { initHub } from '../src/sync/init-hub.ts';
import { push } from '../src/sync/push.ts';
import { addRemote } from '../src/sync/remotes.ts';
import { sync } from '../src/sync/sync.ts';
import { APP_TABLE, startPythonApp, waitFigures } from '../test/adversarial/python-app.ts';

const seconds = Number(process.argv[2] ?? 15);
const rows = Number(process.argv[3] ?? 10_000);
const handlers = await chooseHandlers([]);
const dir = mkdtempSync(join(tmpdir(), 'sqlferry-bench-lockwait-'));
console.log(`${new Date().toISOString()}; ${cpus().length} × ${cpus()[0]?.model}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${seconds} s per phase; ${rows} other rows`);
console.log('| journal mode | phase | app commits | sqlferry runs | app wait p99 | app wait max |');
console.log('|---|---|---|---|---|---|');
try {
  for (const mode of ['delete', 'wal'] as const) await benchMode(mode);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`load after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

async function benchMode(mode: 'delete' | 'wal'): Promise<void> {
  const root = join(dir, mode);
  const hubUrl = join(root, 'hub');
  await initHub(hubUrl);
  const aPath = join(root, 'a.db');
  const db = new DatabaseSync(aPath);
  db.exec(`PRAGMA journal_mode = ${mode}; ${APP_TABLE}; CREATE TABLE other(id INTEGER PRIMARY KEY, v TEXT);
    CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT, qty INTEGER);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows}) INSERT INTO item SELECT i, 'item ' || i, i % 10 FROM n;`);
  db.close();
  const a = Replica.init(aPath);
  addRemote(a, 'origin', hubUrl);
  const remote = await openRemote(hubUrl);
  try {
    await push(a, remote);
    const b = (await clone(remote, join(root, 'b.db'), { handlers })).replica;
    let firstId = 1;
    const phase = async (name: string, loop: (running: () => boolean) => Promise<number>): Promise<void> => {
      const app = startPythonApp(aPath, { mode, seconds, firstId });
      await app.ready;
      const runs = await loop(app.running);
      const report = await app.done;
      firstId += report.commits;
      const w = waitFigures(report.waits);
      console.log(`| ${mode} | ${name} | ${report.commits} | ${runs} | ${w.p99.toFixed(0)} ms | ${w.max.toFixed(0)} ms |`);
    };
    await phase('alone', async (running) => {
      while (running()) await sleep(50);
      return 0;
    });
    commit(a); // the rows the app wrote alone, so the next phase starts from a clean database
    await phase('commit', async (running) => {
      let n = 0;
      for (; running(); n++) {
        commit(a);
        await sleep(50);
      }
      return n;
    });
    let bRows = 0;
    await phase('sync', async (running) => {
      let n = 0;
      for (; running(); n++) {
        const bDb = new DatabaseSync(b.paths.db);
        bDb.prepare('INSERT INTO other VALUES (?, ?)').run(++bRows, `b-${bRows}`);
        bDb.close();
        await sync(b, remote, { handlers });
        await sync(a, remote, { handlers });
        await sleep(50);
      }
      return n;
    });
  } finally {
    await remote.close();
  }
}
