// Other programs writing while sqlferry works: nothing they write is lost, and a lock held
// too long gets a bounded wait and one clear sentence (exit code 5), not a crash.
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Replica } from '../../src/repo/replica.ts';
import { commit } from '../../src/repo/commit.ts';
import { checkout } from '../../src/repo/checkout.ts';
import { EXIT } from '../../src/errors/index.ts';
import { cli, dumpTables, sqlite3, tempDir } from './helpers.ts';

function writer(db: string, rows: number): Promise<number> {
  const script = ['.timeout 20000', 'PRAGMA synchronous = OFF;'];
  for (let i = 1; i <= rows; i++) {
    script.push(`INSERT INTO w(v) VALUES (${i});`, `UPDATE w SET hits = hits + 1 WHERE id = ${Math.ceil(i / 2)};`);
  }
  return new Promise((resolve) => {
    const child = spawn('/usr/bin/sqlite3', [db], { stdio: ['pipe', 'ignore', 'inherit'] });
    child.on('exit', (code) => resolve(code ?? -1));
    child.stdin.end(script.join('\n') + '\n');
  });
}

describe('concurrent writers', () => {
  for (const mode of ['delete', 'wal']) {
    it(`loses nothing a sqlite3 process writes during commits (journal_mode=${mode})`, async () => {
      const dir = tempDir();
      const db = join(dir, `c-${mode}.db`);
      sqlite3(db, `PRAGMA journal_mode = ${mode}; CREATE TABLE w(id INTEGER PRIMARY KEY, v INTEGER, hits INTEGER DEFAULT 0);`);
      const replica = Replica.init(db);
      let done = false;
      const finished = writer(db, 3000).then((code) => ((done = true), code));
      let commits = 0;
      while (!done) {
        if (commit(replica) !== null) commits++;
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(await finished).toBe(0);
      commit(replica);
      expect(commits).toBeGreaterThan(1);
      expect(sqlite3(replica.paths.base, 'SELECT count(*), sum(hits) FROM w;').trim()).toBe('3000|3000');
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
