// A busy application beside `sqlferry sync`: a Python app (stdlib sqlite3) commits every 10 ms
// on replica a while `sync -q` runs there again and again, and replica b, on the same folder
// hub, keeps writing and syncing too (so a's pulls really rebase). Every sync ends 0 or 3
// (never "busy", 5), every write the app committed reaches b and the hub, and both verify.
// A few seconds per journal mode here; the 30 s run on demand:
//   SQLFERRY_APP_LONG=1 npx vitest run test/adversarial/busy-app.test.ts
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { dumpTables } from '../repo/helpers.ts';
import { cloneReplica, firstReplica, newHub, syncEach } from '../sync/helpers.ts';
import { Replica } from '../../src/repo/replica.ts';
import { verify } from '../../src/repo/verify.ts';
import { cli, cliAsync, ok, sqlite3, tempDir, type Run } from './helpers.ts';
import { APP_TABLE, startPythonApp, waitFigures } from './python-app.ts';

const SECONDS = process.env.SQLFERRY_APP_LONG === '1' ? 30 : 4;

describe('a Python app committing every 10 ms while sqlferry syncs', () => {
  for (const mode of ['delete', 'wal'] as const) {
    it(`every sync succeeds and every app write arrives (journal_mode=${mode})`, { timeout: 120_000 + SECONDS * 20_000 }, async () => {
      const dir = tempDir();
      const a = join(dir, 'a.db');
      const b = join(dir, 'b.db');
      // The hub and both replicas are made in-process: the syncs beside the app are the CLI's to test.
      const hub = await newHub(dir);
      await firstReplica(dir, hub, `PRAGMA journal_mode = ${mode}; ${APP_TABLE}; CREATE TABLE other(id INTEGER PRIMARY KEY, v TEXT);`);
      await cloneReplica(dir, hub, 'b');

      const app = startPythonApp(a, { mode, seconds: SECONDS * 20 });
      await app.ready;
      const started = Date.now();
      const runs: Run[] = [];
      let bWrites = 0;
      // SECONDS of writing, and at least 3 syncs of a beside it however slow the machine is.
      const aLoop = (async () => {
        for (let n = 1; app.running(); n++) {
          runs.push(await cliAsync(dir, '--db', 'a.db', 'sync', '-q'));
          if (n >= 3 && Date.now() - started >= SECONDS * 1000) app.stop();
        }
      })();
      // b adds rows of its own and notes on the app's rows it has seen: a's pulls rebase the
      // app's writes over both, column by column (the app never writes `note`).
      const bLoop = (async () => {
        while (app.running()) {
          bWrites++;
          sqlite3(b, `INSERT INTO other VALUES (${bWrites}, 'b-${bWrites}'); UPDATE app SET note = 'b-${bWrites}' WHERE id = (SELECT max(id) FROM app);`);
          runs.push(await cliAsync(dir, '--db', 'b.db', 'sync', '-q'));
        }
      })();
      const report = await app.done;
      await Promise.all([aLoop, bLoop]);

      expect(runs.filter((r) => r.status !== 0 && r.status !== 3).map((r) => `exit ${r.status}: ${r.stderr}`)).toEqual([]);
      expect(report.commits).toBeGreaterThan(SECONDS * 10); // the app really wrote all along
      // Settled and checked in-process: the syncs beside the writer were the CLI's to test.
      await syncEach(hub, ['a.db', 'b.db', 'a.db', 'b.db'].map((db) => join(dir, db)));
      await cloneReplica(dir, hub, 'c');

      // No conflict can arise (the app and b write different columns): every write is on every replica.
      const fromHub = dumpTables(join(dir, 'c.db'));
      expect(dumpTables(a)).toEqual(fromHub);
      expect(dumpTables(b)).toEqual(fromHub);
      const n = report.commits;
      expect(sqlite3(b, 'SELECT count(*), sum(hits), count(DISTINCT token), min(id), max(id) FROM app; SELECT count(*) FROM other;').trim()).toBe(`${n}|${n}|${n}|1|${n}\n${bWrites}`);
      expect(ok(cli(dir, '--db', 'a.db', 'conflicts', 'list', '--json')).stdout).toMatch(/^\[\s*\]\s*$/);
      for (const db of ['a.db', 'b.db']) expect(verify(Replica.open(join(dir, db))).problems, db).toEqual([]);
      const waits = waitFigures(report.waits);
      console.log(`journal_mode=${mode}: ${runs.length} syncs, ${n} app commits, app wait max ${waits.max.toFixed(0)} ms, p99 ${waits.p99.toFixed(0)} ms`);
    });
  }
});
