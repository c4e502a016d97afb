import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { concatChangesets, parseChangeset, writeChangeset } from '../../src/changeset/index.ts';
import type { Change, SqlValue } from '../../src/changeset/index.ts';
import { SqlferryError } from '../../src/errors/index.ts';
import { record } from './helpers/scenario.ts';
import { opsArb, schemaArb } from './helpers/workload.ts';
import { applyStrict, contents, openMemory } from './helpers/sqlite.ts';

const int = (n: number): SqlValue => ({ type: 'integer', value: BigInt(n) });
const U: SqlValue = { type: 'undefined' };
const table = { name: 't', pk: [true, false, false] };
const change = (op: Change['op'], old: SqlValue[] | undefined, nu: SqlValue[] | undefined): Change => ({ table, op, indirect: false, old, new: nu });
const squash = (...changes: Change[][]): Change[] =>
  parseChangeset(concatChangesets(changes.map((c) => writeChangeset('changeset', c)))).changes.map((c) => ({ ...c, table }));

describe('concatChangesets', () => {
  it('applies like its parts applied one after another (changesets and patchsets)', () => {
    fc.assert(
      fc.property(schemaArb, opsArb(10), fc.array(opsArb(15), { minLength: 1, maxLength: 3 }), (tables, setup, sessions) => {
        const s = record(tables, setup, sessions);
        const viaPatchsets = s.openBefore();
        try {
          const expected = contents(s.after);
          applyStrict(s.before, concatChangesets(s.changesets));
          expect(contents(s.before)).toBe(expected);
          applyStrict(viaPatchsets, concatChangesets(s.patchsets));
          expect(contents(viaPatchsets)).toBe(expected);
        } finally {
          viaPatchsets.close();
          s.close();
        }
      }),
      { numRuns: 100 },
    );
  });

  it('folds the changes to one row into one change', () => {
    const ins = change('INSERT', undefined, [int(1), int(2), int(3)]);
    const upd = change('UPDATE', [int(1), int(2), U], [U, int(5), U]);
    const back = change('UPDATE', [int(1), int(5), U], [U, int(2), U]);
    const del = change('DELETE', [int(1), int(5), int(3)], undefined);
    expect(squash([ins], [del])).toEqual([]);
    expect(squash([ins], [upd])).toEqual([change('INSERT', undefined, [int(1), int(5), int(3)])]);
    expect(squash([upd], [back])).toEqual([]); // a value changed and changed back is no change
    expect(squash([upd], [del])).toEqual([change('DELETE', [int(1), int(2), int(3)], undefined)]);
    expect(squash([del], [ins])).toEqual([change('UPDATE', [int(1), int(5), U], [U, int(2), U])]);
  });

  it('refuses to mix changesets and patchsets, and tables whose key differs', () => {
    const db = openMemory('CREATE TABLE t(id INTEGER PRIMARY KEY, a)');
    const session = db.createSession();
    db.exec('INSERT INTO t VALUES(1, 2)');
    expect(() => concatChangesets([session.changeset(), session.patchset()])).toThrow(
      expect.objectContaining({ code: 'CHANGESET_KIND_MISMATCH' }),
    );
    const other = writeChangeset('changeset', [
      { table: { name: 'T', pk: [false, true] }, op: 'INSERT', indirect: false, old: undefined, new: [int(1), int(2)] },
    ]);
    expect(() => concatChangesets([session.changeset(), other])).toThrow(SqlferryError);
    expect(() => concatChangesets([session.changeset(), other])).toThrow(/table "T" has different columns or primary key in input 2/);
  });
});
