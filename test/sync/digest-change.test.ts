// A commit counts its change of content digest once (the log's `digestChange`), and push sums
// those counts into the claims rather than hashing every cell again. The claims must be the ones a
// puller counts from the bytes; a replica changed behind sqlferry's back counts from the bytes.
import { renameSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { entryDelta, lanesRecord } from '../../src/changeset/digest.ts';
import { execSql } from '../../src/repo/apply/exec.ts';
import { verify } from '../../src/repo/verify.ts';
import { entryPaths } from '../../src/repo/sidecar.ts';
import type { Replica } from '../../src/repo/replica.ts';
import { cloneReplica, commitAll, firstReplica, newHub, pullWith, pushTo, rows, sql, tempDir } from './helpers.ts';

const SCHEMA = `CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT, price REAL, qty INTEGER, photo BLOB);
  CREATE TABLE tag(item INTEGER, label TEXT, PRIMARY KEY (item, label));
  INSERT INTO item VALUES (1, 'one', 1.5, 10, x'00ff'), (2, 'two', -0.0, NULL, NULL), (3, 'three', 3.25, 30, x'');
  INSERT INTO tag VALUES (1, 'a'), (2, 'b')`;

/** Commits on `a` made three ways: a capture with UPDATE, DELETE and INSERT in two tables, a schema change, an `exec`. */
function commitSome(a: Replica): void {
  sql(a.paths.db, "UPDATE item SET price = 9.75, photo = x'0102' WHERE id = 1; DELETE FROM item WHERE id = 2; INSERT INTO item VALUES (4, 'four', 4e300, 4, NULL); INSERT INTO tag VALUES (4, 'c')");
  commitAll(a, 'mixed');
  sql(a.paths.db, "ALTER TABLE item ADD COLUMN note TEXT; UPDATE item SET note = 'n' WHERE id = 3");
  commitAll(a, 'schema');
  execSql(a, "UPDATE tag SET label = 'z' WHERE item = 1; DELETE FROM item WHERE id = 3", 'exec');
}

/** A hub, replica a holding SCHEMA, and b cloned from it. */
async function replicas(): Promise<{ hub: string; a: Replica; b: Replica }> {
  const dir = tempDir();
  const hub = await newHub(dir);
  const a = await firstReplica(dir, hub, SCHEMA);
  return { hub, a, b: await cloneReplica(dir, hub, 'b') };
}

/** Commit 1's metadata carrying commit 3's count. */
const miscounted = (a: Replica): string => JSON.stringify({ ...a.meta(1), digestChange: a.meta(3).digestChange });

describe("a commit's own count of its change of digest", () => {
  it('is the count of its bytes, and a push of it claims what the puller counts', async () => {
    const { hub, a, b } = await replicas();
    commitSome(a);
    const seqs = a.seqsAfter(0);
    expect(seqs).toHaveLength(3);
    for (const seq of seqs) {
      const entry = a.entry(seq);
      expect(entry.meta.digestChange, `commit ${seq}`).toEqual(lanesRecord(entryDelta(entry.bytes)!));
    }
    expect(verify(a)).toMatchObject({ ok: true, problems: [] });
    await pushTo(a, hub);
    await pullWith(b, hub); // refuses an entry whose claims differ from its own count
    expect(rows(b.paths.db, 'item')).toEqual(rows(a.paths.db, 'item'));
    expect(rows(b.paths.db, 'tag')).toEqual(rows(a.paths.db, 'tag'));
  });

  it('is what push claims: a count rewritten in place, the log folder stat unchanged, reaches the hub and pullers refuse it', async () => {
    const { hub, a, b } = await replicas();
    commitSome(a);
    const meta = entryPaths(a.paths, 1).meta;
    writeFileSync(meta, miscounted(a));
    expect(verify(a).problems).toEqual([expect.stringMatching(/^log entry 1's own count of its digest change \("digestChange" in its \.json\) differs from its bytes'/)]);
    await pushTo(a, hub);
    await expect(pullWith(b, hub)).rejects.toMatchObject({ code: 'HUB_ENTRY_DIGEST_MISMATCH' });
  });

  it('is not taken from a replica changed behind sqlferry\'s back: push counts the bytes', async () => {
    const { hub, a, b } = await replicas();
    commitSome(a);
    // Rewritten as an editor writes (a new file renamed over it): the log folder's stat changes, the replica is suspect.
    const meta = entryPaths(a.paths, 1).meta;
    writeFileSync(`${meta}.new`, miscounted(a));
    renameSync(`${meta}.new`, meta);
    await pushTo(a, hub);
    await pullWith(b, hub);
    expect(rows(b.paths.db, 'item')).toEqual(rows(a.paths.db, 'item'));
  });

  it('is left to push for an entry too large to hold whole', async () => {
    const { hub, a, b } = await replicas();
    sql(a.paths.db, "WITH RECURSIVE n(i) AS (SELECT 10 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO item SELECT i, printf('item %d', i), i * 0.5, i, randomblob(40) FROM n");
    process.env.SQLFERRY_PIECE_BYTES = '4096'; // streamed above 32 KiB
    try {
      commitAll(a, 'large');
    } finally {
      delete process.env.SQLFERRY_PIECE_BYTES;
    }
    expect(a.meta(1).size).toBeGreaterThan(8 * 4096);
    expect(a.meta(1).digestChange).toBeUndefined();
    await pushTo(a, hub);
    await pullWith(b, hub);
    expect(rows(b.paths.db, 'item')).toEqual(rows(a.paths.db, 'item'));
  });
});
