import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  changesetStats, changesetToPatchset, concatChangesets, detectKind, invertChangeset, iterateChanges, renderJson, renderSql, writeChangeset,
} from '../../src/changeset/index.ts';
import { ChangesetFormatError, SqlferryError } from '../../src/errors/index.ts';
import { record } from './helpers/scenario.ts';
import { opsArb, schemaArb } from './helpers/workload.ts';

// Seeds: real changesets and patchsets, mutated by flipping, inserting, deleting and cutting bytes.
const seeds: Uint8Array[] = fc.sample(fc.tuple(schemaArb, opsArb(6), opsArb(12)), { numRuns: 12, seed: 7 }).flatMap(([t, a, b]) => {
  const s = record(t, a, [b]);
  s.close();
  return [s.changesets[0]!, s.patchsets[0]!].filter((x) => x.length > 0 && x.length < 20_000);
});

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.nat({ max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 9 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 9 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(seed: Uint8Array, ms: Mutation[]): Uint8Array {
  let b = Buffer.from(seed);
  for (const m of ms) {
    const at = m.at % (b.length + 1);
    if (m.kind === 'flip') b[Math.min(at, b.length - 1)] = m.byte;
    else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
    else if (m.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.count)]);
    else b = b.subarray(0, at);
  }
  return new Uint8Array(b);
}

/** Everything the codec offers, on one input: only a ChangesetFormatError (or another SqlferryError) may escape. */
function exercise(bytes: Uint8Array): 'parsed' | 'rejected' {
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
    return 'parsed';
  } catch (e) {
    if (e instanceof ChangesetFormatError) return 'rejected';
    if (e instanceof SqlferryError && e.code === 'CHANGESET_SCHEMA_MISMATCH') return 'rejected';
    throw e;
  }
}

describe('malformed input, fuzzed', () => {
  it('meets only ChangesetFormatError or a valid parse, quickly, for mutated real changesets', () => {
    expect(seeds.length).toBeGreaterThan(10);
    const outcomes = { parsed: 0, rejected: 0 };
    let slowest = 0;
    fc.assert(
      fc.property(fc.nat({ max: seeds.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (i, ms) => {
        const input = mutate(seeds[i]!, ms);
        const start = performance.now();
        outcomes[exercise(input)]++;
        slowest = Math.max(slowest, performance.now() - start);
      }),
      { numRuns: 4000 },
    );
    expect(outcomes.rejected).toBeGreaterThan(1000);
    // A pathological input (quadratic work, a loop) takes seconds; a busy machine's pauses do not.
    expect(slowest).toBeLessThan(2000);
  });

  it('rejects random bytes and every truncation of a real changeset without crashing', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => void exercise(bytes)), { numRuns: 2000 });
    for (const seed of seeds.slice(0, 6)) {
      for (let n = 0; n < seed.length; n++) exercise(seed.subarray(0, n));
    }
  });
});
