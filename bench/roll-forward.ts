// How fast base.db catches up with many small log entries (after a pull that was not copied,
// after a killed command, in verify and checkout): 300 one-row entries, rolled forward from
// the genesis, best of 3. Run: npx node bench/roll-forward.ts [entries]
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { catchUpBase } from '../src/repo/base/base.ts';
import { execSql } from '../src/repo/apply/exec.ts';
import { Replica } from '../src/repo/replica.ts';

const entries = Number(process.argv[2] ?? 300);
const dir = mkdtempSync(join(tmpdir(), 'sqlferry-bench-roll-'));
const path = join(dir, 'a.db');
const db = new DatabaseSync(path);
db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)');
db.close();
const replica = Replica.init(path);
for (let i = 0; i < entries; i++) execSql(replica, `INSERT INTO t VALUES (${i}, 'v${i}')`);
const times: number[] = [];
for (let run = 0; run < 3; run++) {
  copyFileSync(replica.paths.genesis, replica.paths.base);
  const started = performance.now();
  catchUpBase(replica.paths);
  times.push(performance.now() - started);
}
console.log(`rollForward of ${entries} one-row entries: best ${Math.min(...times).toFixed(0)} ms of ${times.map((t) => t.toFixed(0)).join(', ')}`);
rmSync(dir, { recursive: true, force: true });
