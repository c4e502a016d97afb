// A commit killed with SIGKILL at random points leaves the replica consistent: the next
// command finishes or forgets the half-done work, no change is lost or applied twice, and
// verify passes.
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Replica } from '../../src/repo/replica.ts';
import { commit } from '../../src/repo/capture/commit.ts';
import { checkout } from '../../src/repo/base/checkout.ts';
import { verify } from '../../src/repo/verify.ts';
import { dumpTables, sqlite3, tempDir } from './helpers.ts';
import { BIN } from '../cli-bin.ts';

function killedCommit(db: string, afterMs: number): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, '--db', db, 'commit', '-m', 'doomed'], { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), afterMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(signal ?? `exit ${code}`);
    });
  });
}

describe('a commit killed at random points', () => {
  it('leaves a replica whose next commit neither loses nor duplicates a change', async () => {
    const dir = tempDir();
    const db = join(dir, 'k.db');
    sqlite3(db, `CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, n INTEGER);
      WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 30000) INSERT INTO t SELECT i, 'v' || i, 0 FROM s;`);
    const replica = Replica.init(db);
    const outcomes: string[] = [];
    for (let round = 1; round <= 10; round++) {
      // Every round changes thousands of rows, so the killed commit has real work in flight.
      sqlite3(db, `UPDATE t SET n = n + 1, v = v || '${round}' WHERE id % 10 = ${round % 10};
        DELETE FROM t WHERE id % 97 = ${round}; INSERT INTO t(v, n) VALUES ('round ${round}', ${round});`);
      // A commit CLI of this size takes ~0.1–0.3 s (start-up ~0.07 s): kill from start-up to the end.
      outcomes.push(await killedCommit(db, 40 + Math.floor(Math.random() * 300)));
      if (round % 3 === 0) commit(replica, { message: `survivor ${round}` });
    }
    commit(replica, { message: 'final' });
    expect(commit(replica)).toBeNull();
    const report = verify(replica);
    expect(report.problems).toEqual([]);
    expect(dumpTables(replica.paths.base)).toEqual(dumpTables(db));
    const rebuilt = checkout(replica, replica.lastSeq(), join(dir, 'rebuilt.db'));
    expect(dumpTables(rebuilt)).toEqual(dumpTables(db));
    // some commits were really interrupted (not all finished before the kill)
    expect(outcomes.filter((o) => o === 'SIGKILL').length).toBeGreaterThan(0);
  });
});
