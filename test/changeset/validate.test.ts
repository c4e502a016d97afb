import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { changedTables, validateChangeset } from '../../src/changeset/index.ts';
import { ChangesetFormatError } from '../../src/errors/index.ts';
import { record } from './helpers/scenario.ts';
import { opsArb, schemaArb } from './helpers/workload.ts';
import { CRASHER } from './helpers/issue-11.ts';

const utf8 = new TextEncoder();
function header(marker: number, name: string, pkIndex: number[]): number[] {
  return [marker, pkIndex.length, ...pkIndex, ...utf8.encode(name), 0];
}
/** An INSERT of integers 1..n (a changeset's or a patchset's: the same bytes). */
function insert(n: number): number[] {
  return [0x12, 0, ...Array.from({ length: n }, (_, i) => [1, 0, 0, 0, 0, 0, 0, 0, i + 1]).flat()];
}

function refusal(bytes: Uint8Array | number[], expectKind?: 'changeset' | 'patchset'): ChangesetFormatError {
  try {
    validateChangeset(Uint8Array.from(bytes), expectKind);
  } catch (e) {
    if (e instanceof ChangesetFormatError) return e;
    throw e;
  }
  throw new Error('validated without an error');
}

describe('validateChangeset', () => {
  it("refuses issue 11's file at the second header of t, which has 8 columns after 2", () => {
    expect(CRASHER.length).toBe(74);
    const e = refusal(CRASHER);
    expect(e.offset).toBe(28);
    expect(e.message).toBe('table "t" appears again with 8 columns, after 2 at byte offset 28');
    expect(e.exitCode).toBe(6);
  });

  it('refuses a table named again with other primary-key flags, or with a name SQLite takes for the same', () => {
    const T = 0x54;
    expect(refusal([...header(T, 't', [1, 0]), ...insert(2), ...header(T, 't', [0, 1]), ...insert(2)]).message).toMatch(/"t" appears again with another primary key at byte offset 26/);
    expect(refusal([...header(T, 't', [1, 0]), ...insert(2), ...header(T, 't', [2, 1]), ...insert(2)]).offset).toBe(26);
    expect(refusal([...header(T, 'Tab', [1]), ...insert(1), ...header(T, 'tAB', [1, 0]), ...insert(2)]).message).toMatch(/"tAB" appears again with 2 columns, after 1/);
    // A header with no change after it counts too: SQLite reads it all the same.
    expect(refusal([...header(T, 't', [1]), ...header(T, 't', [1, 0]), ...insert(2)]).offset).toBe(5);
    // SQLite folds ASCII letters only: these are two tables.
    expect(validateChangeset(Uint8Array.from([...header(T, 'É', [1]), ...insert(1), ...header(T, 'é', [1, 0]), ...insert(2)])).map((t) => t.name)).toEqual(['É', 'é']);
  });

  it('takes a table named again alike, and returns each changed table once, first group first', () => {
    const T = 0x54;
    const bytes = Uint8Array.from([...header(T, 'idle', [1]), ...header(T, 'a', [1, 0]), ...insert(2), ...header(T, 'b', [0, 1]), ...insert(2), ...header(T, 'A', [1, 0]), ...insert(2)]);
    const tables = validateChangeset(bytes);
    expect(tables.map((t) => t.name)).toEqual(['a', 'b']);
    expect(tables[0]).toEqual(changedTables(bytes)[0]);
  });

  it('refuses an empty table name, and a file of the other kind than expected', () => {
    expect(refusal([...header(0x54, '', [1]), ...insert(1)]).message).toBe('table header with an empty table name at byte offset 0');
    const patchset = [...header(0x50, 't', [1]), ...insert(1)];
    expect(validateChangeset(Uint8Array.from(patchset), 'patchset')).toHaveLength(1);
    expect(refusal(patchset, 'changeset').message).toBe('expected a changeset, found a patchset table header at byte offset 0');
    expect(validateChangeset(new Uint8Array(), 'patchset')).toEqual([]);
  });

  it('accepts what SQLite writes, with the tables changedTables finds, once each', () => {
    const seeds = fc.sample(fc.tuple(schemaArb, opsArb(6), opsArb(12)), { numRuns: 12, seed: 5 }).flatMap(([t, a, b]) => {
      const s = record(t, a, [b]);
      s.close();
      return [s.changesets[0]!, s.patchsets[0]!];
    });
    for (const seed of seeds) {
      const kind = seed[0] === 0x50 ? 'patchset' : 'changeset';
      const names = [...new Set(changedTables(seed).map((t) => t.name))];
      expect(validateChangeset(seed, kind).map((t) => t.name)).toEqual(names);
    }
  });
});
