// The codec on damaged input: every function a command calls on a changeset (dump, sql, invert,
// concat, stats, convert, validate) meets only a ChangesetFormatError or a valid parse, quickly.
// SQLFERRY_FUZZ_LONG=1 runs 100,000 mutations instead of the suite's few thousand.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  changesetStats, changesetToPatchset, concatChangesets, detectKind, invertChangeset, iterateChanges, renderJson, renderSql, validateChangeset, writeChangeset,
} from '../../src/changeset/index.ts';
import { ChangesetFormatError, SqlferryError } from '../../src/errors/index.ts';
import { closeSeeds, fuzzSeeds, LONG } from './helpers/fuzz-seeds.ts';
import { mutate, mutationArb } from './helpers/mutate.ts';

const fuzzed = fuzzSeeds(12, 7);
closeSeeds(fuzzed);
const seeds = fuzzed.map((s) => s.bytes);

/** Everything the codec offers, on one input: only a ChangesetFormatError (or another SqlferryError) may escape. */
function exercise(bytes: Uint8Array): 'parsed' | 'rejected' {
  let validated = true;
  try {
    validateChangeset(bytes);
  } catch (e) {
    if (!(e instanceof ChangesetFormatError)) throw e;
    validated = false;
  }
  try {
    const kind = detectKind(bytes);
    const changes = [...iterateChanges(bytes)];
    writeChangeset(kind, changes);
    changes.forEach(renderJson);
    for (const _ of renderSql(changes));
    changesetStats(bytes);
    changesetToPatchset(bytes);
    concatChangesets([bytes, bytes]);
    if (kind === 'changeset') invertChangeset(bytes);
    return validated ? 'parsed' : 'rejected';
  } catch (e) {
    // What the reader refuses, validation refuses too: it reads the same records, and more.
    if (e instanceof ChangesetFormatError) {
      expect(validated, `validateChangeset took what the reader refuses: ${e.message}`).toBe(false);
      return 'rejected';
    }
    if (e instanceof SqlferryError && ['CHANGESET_SCHEMA_MISMATCH', 'CHANGE_INVALID'].includes(e.code)) return 'rejected';
    throw e;
  }
}

describe('malformed input, fuzzed', () => {
  it(`meets only ChangesetFormatError or a valid parse, quickly, for ${LONG ? '100,000' : '3,000'} mutated real changesets and patchsets`, () => {
    expect(seeds.length).toBeGreaterThan(10);
    const outcomes = { parsed: 0, rejected: 0 };
    let slowest = 0;
    fc.assert(
      fc.property(fc.nat({ max: seeds.length - 1 }), mutationArb, (i, m) => {
        const input = mutate(seeds[i]!, m);
        const start = performance.now();
        outcomes[exercise(input)]++;
        slowest = Math.max(slowest, performance.now() - start);
      }),
      { numRuns: LONG ? 100_000 : 3000, seed: LONG ? Date.now() : 1 },
    );
    if (LONG) console.log(`codec fuzz: ${JSON.stringify(outcomes)}, slowest ${slowest.toFixed(1)} ms`);
    expect(outcomes.rejected).toBeGreaterThan(outcomes.parsed / 4);
    expect(outcomes.parsed).toBeGreaterThan(100);
    expect(slowest).toBeLessThan(1000);
  }, LONG ? 3_600_000 : 60_000);

  it('rejects random bytes and every truncation of a real changeset without crashing', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => void exercise(bytes)), { numRuns: 2000 });
    for (const seed of seeds.slice(0, 6)) {
      for (let n = 0; n < seed.length; n++) exercise(seed.subarray(0, n));
    }
  });
});
