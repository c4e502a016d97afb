// A pull does not re-apply the hub's entries to base.db: the live database holds them, and a
// replica that never writes locally never needs them twice. base.db catches up when a command
// reads it, or is refreshed by a copy once a replica that only pulls lets it fall far behind.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { changesetStats } from '../../src/changeset/index.ts';
import { commit } from '../../src/repo/capture/commit.ts';
import type { Replica } from '../../src/repo/replica.ts';
import { status } from '../../src/repo/capture/status.ts';
import { verify } from '../../src/repo/verify.ts';
import { cloneReplica, firstReplica, newHub, pullWith, pushTo, sql, tempDir } from './helpers.ts';

function baseSeq(replica: Replica): number {
  const db = new DatabaseSync(join(replica.paths.dir, 'base.db'), { readOnly: true });
  try {
    return Number((db.prepare('SELECT seq FROM sqlferry_base').get() as { seq: number }).seq);
  } finally {
    db.close();
  }
}

const schema = (rows: number) => `CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT);
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows}) INSERT INTO item SELECT i, 'item ' || i FROM n;`;

describe('base.db after a pull', () => {
  it('stays behind the pulled entries, and the next local commit still records only the local change', async () => {
    const dir = tempDir();
    const hub = await newHub(dir);
    const a = await firstReplica(dir, hub, schema(2000));
    const b = await cloneReplica(dir, hub, 'b');
    sql(a.paths.db, "INSERT INTO item VALUES (5001, 'from a'), (5002, 'from a')");
    commit(a);
    await pushTo(a, hub);

    expect((await pullWith(b, hub)).pulled).toBe(1);
    expect(b.lastSeq()).toBe(1);
    expect(baseSeq(b)).toBe(0); // not re-applied by the pull
    expect(commit(b)).toBeNull(); // nothing changed: answered without base.db…
    expect(baseSeq(b)).toBe(0); // …and 2 rows behind in 2,000 is not worth a copy

    sql(b.paths.db, "UPDATE item SET name = 'from b' WHERE id = 7");
    expect(status(b)).toMatchObject({ commit: 1, clean: false, tables: [{ table: 'item', inserted: 0, updated: 1, deleted: 0 }] });
    const entry = commit(b)!;
    expect(entry.seq).toBe(2);
    expect(changesetStats(b.entry(2).bytes).total).toMatchObject({ inserts: 0, updates: 1, deletes: 0 });
    expect(baseSeq(b)).toBe(2);
    expect(verify(b)).toMatchObject({ ok: true, problems: [] });
  });

  it('is replaced by a copy of the live database when a replica that only pulls lets it fall far behind', async () => {
    const dir = tempDir();
    const hub = await newHub(dir);
    const a = await firstReplica(dir, hub, schema(10));
    const b = await cloneReplica(dir, hub, 'b');
    for (let i = 0; i < 3; i++) {
      sql(a.paths.db, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) INSERT INTO item SELECT ${1000 * (i + 1)} + i, 'batch ${i}' FROM n`);
      commit(a);
    }
    await pushTo(a, hub);
    await pullWith(b, hub);
    expect(baseSeq(b)).toBe(0);

    const rolledForward = statSync(join(b.paths.dir, 'base.db')).ino;
    expect(commit(b)).toBeNull();
    expect(baseSeq(b)).toBe(3); // 1,500 rows behind in a database of 1,510: copied…
    expect(statSync(join(b.paths.dir, 'base.db')).ino).not.toBe(rolledForward); // …a new file, not re-applied
    expect(b.seqs()).toEqual([1, 2, 3]); // no commit was made
    expect(verify(b)).toMatchObject({ ok: true, problems: [] });
  });

  it('catches up before a local commit when a program wrote right after the pull', async () => {
    const dir = tempDir();
    const hub = await newHub(dir);
    const a = await firstReplica(dir, hub, schema(10));
    const b = await cloneReplica(dir, hub, 'b');
    sql(a.paths.db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) INSERT INTO item SELECT 100 + i, 'from a' FROM n");
    commit(a);
    await pushTo(a, hub);
    await pullWith(b, hub);
    sql(b.paths.db, "DELETE FROM item WHERE id = 3");

    const entry = commit(b)!; // the write moved the files: no copy, the pulled entry is re-applied
    expect(changesetStats(b.entry(entry.seq).bytes).total).toMatchObject({ inserts: 0, updates: 0, deletes: 1 });
    expect(verify(b)).toMatchObject({ ok: true, problems: [] });
  });

  it('counts the lag across pulls: small pulls that add up to half the database end in one copy', async () => {
    const dir = tempDir();
    const hub = await newHub(dir);
    const a = await firstReplica(dir, hub, schema(2000));
    const b = await cloneReplica(dir, hub, 'b');
    const fileBytes = (path: string) => statSync(path).size;
    let copiedAt = 0;
    for (let round = 1; round <= 40 && copiedAt === 0; round++) {
      sql(a.paths.db, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) INSERT INTO item SELECT 100000 + ${round * 1000} + i, 'round ${round}' FROM n`);
      commit(a);
      await pushTo(a, hub);
      await pullWith(b, hub);
      const behind = baseSeq(b);
      let lag = 0;
      for (let seq = behind + 1; seq <= b.lastSeq(); seq++) lag += b.meta(seq).size;
      const due = lag * 2 >= fileBytes(b.paths.db);
      expect(commit(b)).toBeNull();
      expect(baseSeq(b)).toBe(due ? round : behind); // copied exactly when due, else left alone
      if (due) copiedAt = round;
    }
    expect(copiedAt).toBeGreaterThan(1); // several pulls were counted before the copy
    expect(verify(b)).toMatchObject({ ok: true, problems: [] });
  });
});
