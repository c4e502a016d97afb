// An application keeps writing through its own connection while `sqlferry sync` runs on the
// same database again and again (and another replica pushes, so the pulls really rebase):
// every row and every update the application wrote reaches the hub, and all replicas end
// identical. Rollback-journal and WAL mode.
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dumpTables } from '../repo/helpers.ts';
import { cloneReplica, firstReplica, newHub, syncEach } from '../sync/helpers.ts';
import { Replica } from '../../src/repo/replica.ts';
import { verify } from '../../src/repo/verify.ts';
import { cli, cliAsync, ok, sqlite3, tempDir, type Run } from './helpers.ts';

const ROWS = 300;

/**
 * A Node process with its own node:sqlite connection: one row per transaction, and an update of
 * an earlier row. It writes at least ROWS rows, and goes on until `enough` exists (the syncs
 * really ran beside it, however slow a loaded machine makes them); it prints how many it wrote.
 */
function appWriter(db: string, mode: string, enough: string): { done: Promise<{ code: number; rows: number }>; finished: () => boolean } {
  const code = `
    const { DatabaseSync } = require('node:sqlite');
    const { existsSync } = require('node:fs');
    const db = new DatabaseSync(${JSON.stringify(db)}, { timeout: 20000 });
    db.exec('PRAGMA journal_mode = ${mode}');
    const ins = db.prepare('INSERT INTO app(id, token, hits) VALUES (?, ?, 0)');
    const upd = db.prepare('UPDATE app SET hits = hits + 1 WHERE id = ?');
    const pause = new Int32Array(new SharedArrayBuffer(4));
    let i = 1;
    for (; ; i++) {
      ins.run(i, 'app-' + i);
      upd.run(Math.ceil(i / 2));
      if (i % 2 === 0) Atomics.wait(pause, 0, 0, 4);
      if (i >= ${ROWS} && (existsSync(${JSON.stringify(enough)}) || i >= ${ROWS * 50})) break;
    }
    db.close();
    process.stdout.write(String(i));`;
  let over = false;
  let out = '';
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout.on('data', (d: Buffer) => (out += d));
  const done = new Promise<{ code: number; rows: number }>((resolve) => child.on('close', (c) => ((over = true), resolve({ code: c ?? -1, rows: Number(out) }))));
  return { done, finished: () => over };
}

describe('an application writing while sqlferry syncs', () => {
  for (const mode of ['delete', 'wal']) {
    it(`loses no write and converges (journal_mode=${mode})`, { timeout: 180_000 }, async () => {
      const dir = tempDir();
      // The hub and both replicas are made in-process: the syncs under the writer are the CLI's to test.
      const hub = await newHub(dir);
      await firstReplica(dir, hub, `PRAGMA journal_mode = ${mode}; CREATE TABLE app(id INTEGER PRIMARY KEY, token TEXT, hits INTEGER); CREATE TABLE other(id INTEGER PRIMARY KEY, v TEXT);`);
      await cloneReplica(dir, hub, 'b');

      const enough = join(dir, 'enough');
      const writer = appWriter(join(dir, 'a.db'), mode, enough);
      const runs: Run[] = [];
      const ran = (r: Run) => {
        runs.push(r);
        if (runs.length >= 4) writeFileSync(enough, '');
      };
      let bRows = 0;
      // a syncs in a loop under the writer; b keeps pushing rows of its own in between.
      const aLoop = (async () => {
        while (!writer.finished()) ran(await cliAsync(dir, '--db', 'a.db', 'sync'));
      })();
      const bLoop = (async () => {
        while (!writer.finished()) {
          bRows++;
          sqlite3(join(dir, 'b.db'), `INSERT INTO other VALUES (${bRows}, 'b-${bRows}');`);
          ran(await cliAsync(dir, '--db', 'b.db', 'sync'));
        }
      })();
      const written = await writer.done;
      expect(written.code).toBe(0);
      await Promise.all([aLoop, bLoop]);
      expect(runs.length).toBeGreaterThanOrEqual(4); // the syncs really ran under the writer
      // The writer's rows since a's last commit are captured inside a's pull: never "busy" (5).
      expect(runs.filter((r) => r.status !== 0).map((r) => `exit ${r.status}: ${r.stderr}`)).toEqual([]);
      // Settled and checked in-process: the syncs beside the writer were the CLI's to test.
      await syncEach(hub, ['a.db', 'b.db', 'a.db', 'b.db'].map((db) => join(dir, db)));
      await cloneReplica(dir, hub, 'c');

      const fromHub = dumpTables(join(dir, 'c.db'));
      expect(dumpTables(join(dir, 'a.db'))).toEqual(fromHub);
      expect(dumpTables(join(dir, 'b.db'))).toEqual(fromHub);
      expect(sqlite3(join(dir, 'c.db'), 'SELECT count(*), sum(hits), count(DISTINCT token) FROM app; SELECT count(*) FROM other;').trim()).toBe(`${written.rows}|${written.rows}|${written.rows}\n${bRows}`);
      for (const db of ['a.db', 'b.db', 'c.db']) expect(verify(Replica.open(join(dir, db))).problems, db).toEqual([]);
      expect(ok(cli(dir, '--db', 'a.db', 'status', '--json')).stdout).not.toMatch(/"inserted":\s*[1-9]/);
    });
  }
});
