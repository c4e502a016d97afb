import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { changedTables, iterateChanges } from '../../src/changeset/index.ts';
import { ChangesetFormatError } from '../../src/errors/index.ts';
import { record } from './helpers/scenario.ts';
import { opsArb, schemaArb } from './helpers/workload.ts';

// changedTables (apply's schema check) must see exactly the tables iterateChanges sees, and
// refuse exactly the inputs it refuses: it skips the values instead of decoding them.
function viaIterate(bytes: Uint8Array): string[] | 'rejected' {
  try {
    const names: string[] = [];
    let last: unknown;
    for (const c of iterateChanges(bytes)) {
      if (c.table !== last) names.push(`${c.table.name}:${c.table.pkIndex?.join(',')}`);
      last = c.table;
    }
    return names;
  } catch (e) {
    if (e instanceof ChangesetFormatError) return 'rejected';
    throw e;
  }
}

function viaTables(bytes: Uint8Array): string[] | 'rejected' {
  try {
    return changedTables(bytes).map((t) => `${t.name}:${t.pkIndex?.join(',')}`);
  } catch (e) {
    if (e instanceof ChangesetFormatError) return 'rejected';
    throw e;
  }
}

describe('changedTables', () => {
  const seeds = fc.sample(fc.tuple(schemaArb, opsArb(6), opsArb(12)), { numRuns: 12, seed: 11 }).flatMap(([t, a, b]) => {
    const s = record(t, a, [b]);
    s.close();
    return [s.changesets[0]!, s.patchsets[0]!].filter((x) => x.length > 0);
  });

  it('agrees with iterateChanges on real changesets and patchsets, and on every damaged variant', () => {
    expect(seeds.length).toBeGreaterThan(10);
    for (const seed of seeds) expect(viaTables(seed)).toEqual(viaIterate(seed));
    fc.assert(
      fc.property(fc.nat({ max: seeds.length - 1 }), fc.nat(), fc.nat({ max: 255 }), fc.nat(), (i, at, byte, cut) => {
        const b = new Uint8Array(seeds[i]!);
        b[at % b.length] = byte;
        const input = b.subarray(0, b.length - (cut % 4));
        expect(viaTables(input)).toEqual(viaIterate(input));
      }),
      { numRuns: 3000 },
    );
  });

  it('skips a table sqldiff names with no change to it', () => {
    for (const seed of seeds.filter((b) => b[0] === 0x54)) {
      const unchangedFirst = new Uint8Array([0x54, 1, 1, 0x65, 0, ...seed]);
      expect(changedTables(unchangedFirst)).toEqual(changedTables(seed));
    }
  });
});
