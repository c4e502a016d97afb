// Other programs writing while sqlferry works: nothing they write is lost, and a lock held
// too long gets a bounded wait and one clear sentence (exit code 5), not a crash.
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Replica } from '../../src/repo/replica.ts';
import { commit } from '../../src/repo/capture/commit.ts';
import { checkout } from '../../src/repo/base/checkout.ts';
import { EXIT } from '../../src/errors/index.ts';
import { cli, dumpTables, sqlite3, tempDir } from './helpers.ts';

/** A sqlite3 process fed statements as the test goes; `exited` is its exit code. */
function writer(db: string): { write(statements: string[]): void; end(): void; exited: Promise<number> } {
  const child = spawn('/usr/bin/sqlite3', [db], { stdio: ['pipe', 'ignore', 'inherit'] });
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  child.stdin.write('.timeout 20000\nPRAGMA synchronous = OFF;\n');
  return { write: (statements) => child.stdin.write(statements.join('\n') + '\n'), end: () => child.stdin.end(), exited };
}

const ROWS = 3000;
const BATCHES = 10;

describe('concurrent writers', () => {
  for (const mode of ['delete', 'wal']) {
    it(`loses nothing a sqlite3 process writes during commits (journal_mode=${mode})`, async () => {
      const dir = tempDir();
      const db = join(dir, `c-${mode}.db`);
      sqlite3(db, `PRAGMA journal_mode = ${mode}; CREATE TABLE w(id INTEGER PRIMARY KEY, v INTEGER, hits INTEGER DEFAULT 0);`);
      const replica = Replica.init(db);
      const app = writer(db);
      const reader = new DatabaseSync(db, { readOnly: true, timeout: 20_000 });
      const written = (): number => Number((reader.prepare('SELECT coalesce(max(v), 0) AS v FROM w').get() as { v: number }).v);
      let commits = 0;
      // Each batch is handed to sqlite3, and a commit starts once its first row is in: the
      // commit then runs while sqlite3 writes the rest of the batch (however loaded the machine).
      for (let b = 0; b < BATCHES; b++) {
        const batch: string[] = [];
        for (let i = (b * ROWS) / BATCHES + 1; i <= ((b + 1) * ROWS) / BATCHES; i++) {
          batch.push(`INSERT INTO w(v) VALUES (${i});`, `UPDATE w SET hits = hits + 1 WHERE id = ${Math.ceil(i / 2)};`);
        }
        app.write(batch);
        while (written() <= (b * ROWS) / BATCHES) await new Promise((r) => setTimeout(r, 2));
        if (commit(replica) !== null) commits++;
      }
      app.end();
      expect(await app.exited).toBe(0);
      reader.close();
      commit(replica);
      expect(commits).toBe(BATCHES); // each found the rows written since the last
      expect(sqlite3(replica.paths.base, 'SELECT count(*), sum(hits) FROM w;').trim()).toBe(`${ROWS}|${ROWS}`);
      const rebuilt = checkout(replica, replica.lastSeq(), join(dir, 'rebuilt.db'));
      expect(dumpTables(rebuilt)).toEqual(dumpTables(db));
    });
  }

  it('waits a bounded time for a database another program keeps locked, then says so', async () => {
    const dir = tempDir();
    const db = join(dir, 'locked.db');
    sqlite3(db, 'CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 1);');
    cli(dir, 'init', 'locked.db');
    const holder = spawn('/usr/bin/sqlite3', [db], { stdio: ['pipe', 'pipe', 'inherit'] });
    holder.stdin.write("BEGIN EXCLUSIVE; UPDATE t SET v = 'held'; SELECT 'locked';\n");
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    try {
      const env = { SQLFERRY_BUSY_TIMEOUT_MS: '300' };
      Object.assign(process.env, env);
      // Bounded by the 300 ms wait, not the default's seconds: measured against one start-up here.
      const startup = Date.now();
      cli(dir, '--version');
      const baseline = Date.now() - startup;
      const started = Date.now();
      const exec = cli(dir, 'exec', "UPDATE t SET v = 'mine'");
      const status = cli(dir, 'commit');
      expect(Date.now() - started).toBeLessThan(10_000 + 4 * baseline);
      for (const r of [exec, status]) {
        expect(r.status).toBe(EXIT.locked);
        expect(r.stderr).toMatch(new RegExp(`^error: ${db.replaceAll('.', '\\.')} is locked by another program \\(waited 300 ms\\)\\nhint: `));
      }
    } finally {
      delete process.env.SQLFERRY_BUSY_TIMEOUT_MS;
      holder.stdin.end('COMMIT;\n');
      await new Promise((r) => holder.on('exit', r));
    }
    expect(cli(dir, 'commit').stdout).toMatch(/^Committed 1/);
  });
});
