import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type { DatabaseSync } from 'node:sqlite';
import { iterateChanges, renderJson, renderSql, writeChangeset } from '../../src/changeset/index.ts';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ColumnNames } from '../../src/changeset/index.ts';
import { record } from './helpers/scenario.ts';
import { opsArb, schemaArb } from './helpers/workload.ts';
import { contents, openMemory } from './helpers/sqlite.ts';

const namesFrom = (db: DatabaseSync): ColumnNames => (table) =>
  db.prepare('SELECT name FROM pragma_table_info(?)').all(table.name).map((r) => String(r.name));

describe('renderSql', () => {
  it('renders statements that, executed in order, turn the old database into the new one', () => {
    fc.assert(
      fc.property(schemaArb, opsArb(10), opsArb(25), (tables, setup, ops) => {
        const s = record(tables, setup, [ops]);
        try {
          for (const sql of renderSql(iterateChanges(s.changesets[0]!), namesFrom(s.before))) s.before.exec(sql);
          expect(contents(s.before)).toBe(contents(s.after));
        } finally {
          s.close();
        }
      }),
      { numRuns: 100 },
    );
  });

  it('names columns c1, c2, … when no schema is at hand', () => {
    const db = openMemory("CREATE TABLE t(id INTEGER PRIMARY KEY, a, b); INSERT INTO t VALUES(1, 'x', 2), (2, 'y', 3);");
    const session = db.createSession();
    db.exec("UPDATE t SET b = 'it''s' WHERE id = 1; INSERT INTO t VALUES(3, 1e300, X'00ff'); DELETE FROM t WHERE id = 2;");
    const lines = [...renderSql(iterateChanges(session.changeset()))].sort();
    expect(lines).toEqual([
      `DELETE FROM "t" WHERE "c1" = 2;`,
      `INSERT INTO "t"("c1", "c2", "c3") VALUES(3, 1e+300, X'00FF');`,
      `UPDATE "t" SET "c3" = 'it''s' WHERE "c1" = 1;`,
    ]);
  });
});

describe('renderJson', () => {
  it('gives exact integers as strings beyond 2^53, text as text, blobs as hex, and null for a value not present', () => {
    const db = openMemory('CREATE TABLE t(id INTEGER PRIMARY KEY, a, b)');
    db.exec('INSERT INTO t VALUES(1, 1, 1)');
    const session = db.createSession();
    db.exec("INSERT INTO t VALUES(9223372036854775807, 'é', X'00ff'); UPDATE t SET a = 0.5 WHERE id = 1;");
    const json = [...iterateChanges(session.changeset())].map(renderJson);
    expect(json).toContainEqual({
      table: 't', op: 'INSERT', indirect: false, pk: [1, 0, 0], old: null,
      new: [{ type: 'integer', value: '9223372036854775807' }, { type: 'text', value: 'é' }, { type: 'blob', value: '00ff' }],
    });
    expect(json).toContainEqual({
      table: 't', op: 'UPDATE', indirect: false, pk: [1, 0, 0],
      old: [{ type: 'integer', value: 1 }, { type: 'integer', value: 1 }, null],
      new: [null, { type: 'real', value: 0.5 }, null],
    });
  });

  // As docs/CLI_JSON_OUTPUT.md says: what a JSON number cannot carry is a string.
  it('gives -0.0, NaN and the infinities as strings, through changeset dump', () => {
    const reals = [-0, Number.NaN, Infinity, -Infinity, 0, 1.5];
    const bytes = writeChangeset('changeset', [{
      table: { name: 't', pk: [true, ...reals.map(() => false)] }, op: 'INSERT', indirect: false, old: undefined,
      new: [{ type: 'integer', value: 1n }, ...reals.map((value) => ({ type: 'real' as const, value }))],
    }]);
    const dir = mkdtempSync(join(tmpdir(), 'sqlferry-render-'));
    writeFileSync(join(dir, 'reals.changeset'), bytes);
    const bin = fileURLToPath(new URL('../../bin/sqlferry.js', import.meta.url));
    const r = spawnSync(process.execPath, [bin, 'changeset', 'dump', 'reals.changeset'], { cwd: dir, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const values = (JSON.parse(r.stdout) as { new: Array<{ value: unknown }> }).new.slice(1).map((v) => v.value);
    expect(values).toEqual(['-0', 'NaN', 'Infinity', '-Infinity', 0, 1.5]);
    expect(Object.is(values[4], 0)).toBe(true);
  });
});
