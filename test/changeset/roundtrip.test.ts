import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { detectKind, iterateChanges, parseChangeset, writeChangeset } from '../../src/changeset/index.ts';
import { record } from './helpers/scenario.ts';
import { opsArb, schemaArb } from './helpers/workload.ts';
import { openMemory } from './helpers/sqlite.ts';
import { expectSameBytes } from './helpers/bytes.ts';

const rewrite = (b: Uint8Array): Uint8Array => writeChangeset(detectKind(b), iterateChanges(b));

describe('reading and writing changesets', () => {
  it('rewrites every changeset and patchset SQLite writes byte for byte', () => {
    fc.assert(
      fc.property(schemaArb, opsArb(10), opsArb(25), (tables, setup, ops) => {
        const s = record(tables, setup, [ops]);
        try {
          expectSameBytes(rewrite(s.changesets[0]!), s.changesets[0]!);
          expectSameBytes(rewrite(s.patchsets[0]!), s.patchsets[0]!);
        } finally {
          s.close();
        }
      }),
      { numRuns: 150 },
    );
  });

  it('shares one TableHeader per table group and keeps composite key order', () => {
    const db = openMemory('CREATE TABLE t(a TEXT, b INT, c, PRIMARY KEY(b, a)); CREATE TABLE u(id INTEGER PRIMARY KEY, v);');
    const session = db.createSession();
    db.exec("INSERT INTO t VALUES('x', 1, 2), ('y', 2, 3); INSERT INTO u VALUES(1, 'one'), (2, 'two');");
    const { kind, changes } = parseChangeset(session.changeset());
    expect(kind).toBe('changeset');
    const headers = [...new Set(changes.map((c) => c.table))];
    expect(headers.map((h) => [h.name, h.pk, h.pkIndex])).toEqual([
      ['t', [true, true, false], [2, 1, 0]],
      ['u', [true, false], [1, 0]],
    ]);
    expect(changes).toHaveLength(4);
  });

  it('numbers key columns in table order when a header has no pkIndex', () => {
    const table = { name: 't', pk: [true, false, true] };
    const bytes = writeChangeset('changeset', [
      { table, op: 'DELETE', indirect: true, old: [{ type: 'integer', value: 1n }, { type: 'null' }, { type: 'text', value: new Uint8Array([0x61]) }], new: undefined },
    ]);
    expect([...bytes.subarray(0, 7)]).toEqual([0x54, 3, 1, 0, 2, 0x74, 0]);
    const [change] = iterateChanges(bytes);
    expect(change!.indirect).toBe(true);
    expect(change!.old![2]).toEqual({ type: 'text', value: new Uint8Array([0x61]) });
  });

  it('treats empty input as an empty changeset', () => {
    expect(detectKind(new Uint8Array())).toBe('changeset');
    expect(parseChangeset(new Uint8Array()).changes).toEqual([]);
    expect(writeChangeset('changeset', [])).toEqual(new Uint8Array());
  });
});
