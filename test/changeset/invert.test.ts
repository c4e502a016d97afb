import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { invertChangeset, parseChangeset } from '../../src/changeset/index.ts';
import { SqlferryError } from '../../src/errors/index.ts';
import { record } from './helpers/scenario.ts';
import { opsArb, schemaArb } from './helpers/workload.ts';
import { applyStrict, contents, openMemory } from './helpers/sqlite.ts';

describe('invertChangeset', () => {
  it('undoes a changeset exactly: applying the inverse after it restores every value and type', () => {
    fc.assert(
      fc.property(schemaArb, opsArb(10), opsArb(25), (tables, setup, ops) => {
        const s = record(tables, setup, [ops]);
        try {
          applyStrict(s.after, invertChangeset(s.changesets[0]!));
          expect(contents(s.after)).toBe(contents(s.before));
        } finally {
          s.close();
        }
      }),
      { numRuns: 100 },
    );
  });

  it('swaps INSERT and DELETE and moves UPDATE values across, as sqlite3changeset_invert does', () => {
    const db = openMemory('CREATE TABLE t(id INTEGER PRIMARY KEY, a, b); INSERT INTO t VALUES(1, 10, 20), (2, 30, 40);');
    const session = db.createSession();
    db.exec('UPDATE t SET a = 11 WHERE id = 1; DELETE FROM t WHERE id = 2; INSERT INTO t VALUES(3, NULL, 5);');
    const inverse = parseChangeset(invertChangeset(session.changeset())).changes;
    const show = inverse.map((c) => [c.op, c.old?.map((v) => v.type), c.new?.map((v) => v.type)]);
    expect(show).toEqual(
      expect.arrayContaining([
        ['UPDATE', ['integer', 'integer', 'undefined'], ['undefined', 'integer', 'undefined']],
        ['INSERT', undefined, ['integer', 'integer', 'integer']],
        ['DELETE', ['integer', 'null', 'integer'], undefined],
      ]),
    );
    const update = inverse.find((c) => c.op === 'UPDATE')!;
    expect(update.old![1]).toEqual({ type: 'integer', value: 11n });
    expect(update.new![1]).toEqual({ type: 'integer', value: 10n });
  });

  it('refuses a patchset with PATCHSET_NOT_INVERTIBLE', () => {
    const db = openMemory('CREATE TABLE t(id INTEGER PRIMARY KEY, a)');
    const session = db.createSession();
    db.exec('INSERT INTO t VALUES(1, 2)');
    const error = (() => {
      try {
        invertChangeset(session.patchset());
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(SqlferryError);
    expect((error as SqlferryError).code).toBe('PATCHSET_NOT_INVERTIBLE');
    expect((error as SqlferryError).message).toMatch(/patchset cannot be inverted/);
  });
});
