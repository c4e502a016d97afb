// `sync` killed (SIGKILL) at random moments on two replicas at once, round after round, as a
// flaky laptop or an impatient cron would: afterwards plain syncs bring both replicas to the
// same content, every row either replica ever committed is there once, and verify passes.
// Other kill timings: SQLFERRY_KILL_SEED=N npx vitest run test/adversarial/killed-syncs.test.ts
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { dumpTables } from '../repo/helpers.ts';
import { BIN, cli, ok, sqlite3, tempDir } from './helpers.ts';

function killedSync(dir: string, db: string, afterMs: number): Promise<void> {
  const child = spawn(process.execPath, [BIN, '--db', db, 'sync', '-q'], { cwd: dir, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const timer = setTimeout(() => child.kill('SIGKILL'), afterMs);
  return exited.finally(() => clearTimeout(timer));
}

describe('syncs killed at random moments on two replicas', () => {
  it('converge afterwards, losing and duplicating nothing', { timeout: 300_000 }, async () => {
    const dir = tempDir();
    ok(cli(dir, 'init', '--bare', 'hub'));
    sqlite3(join(dir, 'a.db'), 'CREATE TABLE item(id INTEGER PRIMARY KEY, owner TEXT, n INTEGER);');
    ok(cli(dir, 'init', 'a.db'));
    ok(cli(dir, '--db', 'a.db', 'remote', 'add', 'origin', 'hub'));
    ok(cli(dir, '--db', 'a.db', 'push'));
    ok(cli(dir, 'clone', 'hub', 'b.db'));

    // How long one sync takes here, so the kills land before, during and after its work.
    const started = Date.now();
    ok(cli(dir, '--db', 'a.db', 'sync'));
    const took = Date.now() - started;

    let seed = Number(process.env.SQLFERRY_KILL_SEED ?? 42);
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const written = new Set<number>();
    for (let round = 0; round < 8; round++) {
      // Disjoint keys (a even, b odd), several rows a round, committed or left for sync to commit.
      for (const [db, parity] of [['a.db', 0], ['b.db', 1]] as const) {
        const ids = Array.from({ length: 20 }, (_, i) => round * 100 + i * 2 + parity);
        sqlite3(join(dir, db), `INSERT INTO item VALUES ${ids.map((id) => `(${id}, '${db}', ${round})`).join(', ')};`);
        ids.forEach((id) => written.add(id));
        if (round % 2 === 0) ok(cli(dir, '--db', db, 'commit'));
      }
      await Promise.all([killedSync(dir, 'a.db', random() * took * 1.5), killedSync(dir, 'b.db', random() * took * 1.5)]);
    }

    // Plain syncs until nothing moves: a, b, a.
    for (const db of ['a.db', 'b.db', 'a.db']) ok(cli(dir, '--db', db, 'sync', '-q'));
    const a = dumpTables(join(dir, 'a.db'));
    expect(dumpTables(join(dir, 'b.db'))).toEqual(a);
    const ids = sqlite3(join(dir, 'a.db'), 'SELECT id FROM item ORDER BY id;').trim().split('\n').map(Number);
    expect(ids).toEqual([...written].sort((x, y) => x - y));
    for (const db of ['a.db', 'b.db']) ok(cli(dir, '--db', db, 'verify'));
  });
});
