// A pull killed (SIGKILL) at random moments: the database is always exactly as before or
// exactly as after, and the next command finishes the job (pending-pull.ts, recover.ts).
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { Replica } from '../../src/repo/replica.ts';
import { verify } from '../../src/repo/verify.ts';
import { cloneReplica, commitAll, firstReplica, newHub, pullKilledInCopy, pullWith, pushTo, rows, sql, tempDir } from './helpers.ts';
import { BIN as bin } from '../cli-bin.ts';

// Kill moments spread over the pull's whole run, one per slice; 5 slices cover the fetch, the
// rebase and the finish (each round costs four CLI runs, so keep them few).
const ROUNDS = 5;
const SCHEMA = 'CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, n INT);';

function content(db: string): string {
  return JSON.stringify([rows(db, 't'), rows(db, 'sqlite_schema')]);
}

async function prepared(schemaChange: boolean): Promise<{ dir: string; hub: string; before: string }> {
  const dir = tempDir('sqlferry-crash-');
  const hub = await newHub(dir);
  const a = await firstReplica(dir, hub, SCHEMA);
  const b = await cloneReplica(dir, hub, 'b');
  sql(a.paths.db, `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 30000) INSERT INTO t SELECT i, 'hub ' || i, i FROM s;`);
  commitAll(a);
  await pushTo(a, hub);
  // With `schemaChange`, b's commit also adds a column and an index the rebase undoes and redoes.
  if (schemaChange) sql(b.paths.db, "ALTER TABLE t ADD COLUMN w TEXT DEFAULT 'b'; CREATE INDEX t_w ON t(w);");
  // b's unpushed commit collides with the hub's rows: the pull rebases it, with conflicts.
  sql(b.paths.db, `WITH RECURSIVE s(i) AS (SELECT 29900 UNION ALL SELECT i + 1 FROM s WHERE i < 30100) INSERT INTO t(id, v, n) SELECT i, 'b ' || i, -i FROM s;`);
  commitAll(b);
  return { dir, hub, before: content(b.paths.db) };
}

describe('a pull killed at any moment', () => {
  for (const schemaChange of [false, true]) it(`leaves the database as it was or as it will be, and the next command finishes it${schemaChange ? ' (a local ADD COLUMN and index rebased)' : ''}`, async () => {
    const { dir, hub, before } = await prepared(schemaChange);
    // The reference: an uninterrupted pull on a copy.
    const ref = tempDir('sqlferry-crash-ref-');
    cpSync(dir, ref, { recursive: true });
    const started = Date.now();
    expect(spawnSync(process.execPath, [bin, '--db', join(ref, 'b.db'), 'pull'], { stdio: 'ignore' }).status).toBe(3);
    const took = Date.now() - started;
    const after = content(join(ref, 'b.db'));
    expect(after).not.toBe(before);

    const outcomes = new Set<string>();
    for (let round = 0; round < ROUNDS; round++) {
      const db = await pullKilledInCopy(dir, 'b.db', round, ROUNDS, took);
      const now = content(db);
      expect([before, after]).toContain(now);
      outcomes.add(now === before ? 'before' : 'after');
      // The next command, even one that is not a pull, finishes or discards the interrupted pull:
      // `commit` must not mistake the hub's rows for local changes.
      const commit = spawnSync(process.execPath, [bin, '--db', db, 'commit'], { encoding: 'utf8' });
      expect(commit.stdout).toContain('Nothing to commit');
      expect(content(db)).toBe(now);
      // Whatever the kill interrupted, the next pull (in-process: the kill and the command after it were the CLI's) ends in the reference state, with a sound sidecar.
      const replica = Replica.open(db);
      await pullWith(replica, hub);
      expect(content(db)).toBe(after);
      expect(verify(replica)).toMatchObject({ ok: true });
      expect(replica.state().hubSeq).toBe(1);
      expect(replica.seqs()).toEqual([1, 2]);
    }
    expect(outcomes.size).toBeGreaterThan(0);
  });
});
