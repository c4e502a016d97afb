// Pull and clone from a patchset hub in bounded memory (issue 15): a patchset's UPDATEs and
// DELETEs lack the old values the content digest needs, so their rows are read by key
// (src/sync/touched-digest.ts); the keys are looked up as they are read, never held for the
// whole entry. The CLI runs with V8's old generation at 16 MB and pieces of 256 KiB, so the
// INSERT and UPDATE entries travel as files of pieces and the DELETE entry is held (under 8
// pieces): 150,000 keys held, one object a key, would not fit. And the rows read must still add
// up to the claim: a forged entry of each kind is refused.
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { changesetToPatchset } from '../../src/changeset/index.ts';
import { sha256 } from '../../src/hub/checksum.ts';
import { metaName } from '../../src/hub/folder/layout.ts';
import { entryPaths } from '../../src/repo/sidecar.ts';
import { streamed } from '../../src/shared/pieces.ts';
import { cliWith } from '../repo/helpers.ts';
import { cloneReplica, commitAll, firstReplica, newHub, pushTo, rows, sql, tempDir } from './helpers.ts';

const PIECE = 256 << 10;
const SMALL = { NODE_OPTIONS: '--max-old-space-size=16', SQLFERRY_PIECE_BYTES: String(PIECE) };
const N = 150_000;
const series = (n: number) => `(WITH RECURSIVE s(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM s WHERE value < ${n}) SELECT value FROM s)`;
const SCHEMA = `CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, amount REAL); CREATE TABLE u(k TEXT, n INT, v, PRIMARY KEY(k, n));
  INSERT INTO t VALUES (0, 'kept', 0.5); INSERT INTO u VALUES ('a', 1, 'x'), ('b', 2, 'y')`;
const EDITS = [
  `INSERT INTO t SELECT value, 'name ' || value, value * 0.25 FROM ${series(N)}`,
  `UPDATE t SET amount = amount + 1 WHERE id > 0; UPDATE u SET v = 'z' WHERE k = 'a'`,
  `DELETE FROM t WHERE id > 0; DELETE FROM u WHERE k = 'b'`,
];

const content = (db: string) => ({ t: rows(db, 't'), u: rows(db, 'u') });
const entryOnHub = (hub: string, seq: number) => {
  const meta = JSON.parse(readFileSync(join(hub, 'log', metaName(seq)), 'utf8')) as Record<string, unknown>;
  return { meta, size: readFileSync(join(hub, 'log', meta.file as string)).byteLength };
};

describe('pull and clone from a patchset hub', () => {
  it('apply INSERT, UPDATE and DELETE entries of 150,000 rows in a 16 MB heap, checked against their claims', async () => {
    const dir = tempDir('sqlferry-patchset-bounded-');
    const hub = await newHub(dir, 'patchset');
    const a = await firstReplica(dir, hub, SCHEMA);
    const b = await cloneReplica(dir, hub, 'b');
    const sizes: number[] = [];
    for (const [i, edit] of EDITS.entries()) {
      sql(a.paths.db, edit);
      commitAll(a, `edit ${i + 1}`);
      await pushTo(a, hub);
      sizes.push(entryOnHub(hub, i + 1).size);
      const pulled = cliWith(SMALL, dir, '--db', b.paths.db, 'pull');
      expect(pulled.stderr).toBe('');
      expect(pulled.status).toBe(0);
      expect(content(b.paths.db)).toEqual(content(a.paths.db));
    }
    process.env.SQLFERRY_PIECE_BYTES = String(PIECE);
    try {
      expect(sizes.map((s) => streamed(s))).toEqual([true, true, false]);
    } finally {
      delete process.env.SQLFERRY_PIECE_BYTES;
    }
    expect(sizes[2]).toBeGreaterThan(N * 10); // the held entry names every row
    const cloned = cliWith(SMALL, dir, 'clone', hub, join(dir, 'c.db'));
    expect(cloned.stderr).toBe('');
    expect(cloned.status).toBe(0);
    expect(content(join(dir, 'c.db'))).toEqual(content(a.paths.db));
    for (const db of [b.paths.db, join(dir, 'c.db')]) expect(cliWith({}, dir, '--db', db, 'verify').status).toBe(0);
  });

  for (const [kind, honest, forged] of [
    ['an UPDATE', 'UPDATE t SET amount = -amount WHERE id > 0', 'UPDATE t SET amount = -amount WHERE id > 1; UPDATE t SET amount = 7 WHERE id = 1'],
    ['a DELETE', 'DELETE FROM t WHERE id > 1', 'DELETE FROM t WHERE id > 0 AND id <> 2'],
  ] as const) {
    for (const rowCount of [50, 60_000]) {
      it(`refuses ${kind} entry (${rowCount < 1000 ? 'held' : 'in pieces'}) whose rows do not add up to its claim`, async () => {
        const dir = tempDir('sqlferry-patchset-forged-');
        const hub = await newHub(dir, 'patchset');
        const a = await firstReplica(dir, hub, `CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, amount REAL);
          INSERT INTO t SELECT value, 'name ' || value, value * 0.25 FROM ${series(rowCount)}`);
        const b = await cloneReplica(dir, hub, 'b');
        const c = await cloneReplica(dir, hub, 'c');
        sql(a.paths.db, honest);
        commitAll(a, 'honest');
        await pushTo(a, hub);
        // The forger's patchset: valid, applies to b, another row changed; checksum made to match, claim kept.
        sql(c.paths.db, forged);
        commitAll(c, 'forged');
        const bytes = changesetToPatchset(readFileSync(entryPaths(c.paths, 1).bytes));
        const { meta } = entryOnHub(hub, 1);
        const file = `${metaName(1).slice(0, -5)}.planted.patchset`;
        writeFileSync(join(hub, 'log', file), bytes);
        writeFileSync(join(hub, 'log', metaName(1)), JSON.stringify({ ...meta, sha256: sha256(bytes), size: bytes.length, file }));
        const before = rows(b.paths.db, 't');
        const pulled = cliWith({ SQLFERRY_PIECE_BYTES: String(64 << 10) }, dir, '--db', b.paths.db, 'pull');
        expect(pulled.stderr).toMatch(/error: hub entry 1 does not match the content digest it claims \(table "t"\)/);
        expect(pulled.status).toBe(6);
        expect(rows(b.paths.db, 't')).toEqual(before);
      });
    }
  }
});
