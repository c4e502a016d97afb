// findHead against every head and every hint: the answer is the head, and a good hint keeps the
// probes few (that is the point of it: each probe is a round trip on an SSH hub).
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { findHead, headHint } from '../../src/hub/folder/find-head.ts';

function hubOf(head: number, hint: string | undefined, known = 0) {
  let probes = 0;
  let hintsRead = 0;
  return {
    probe: {
      exists: async (seq: number) => (probes++, seq >= 1 && seq <= head),
      readHint: async () => (hintsRead++, hint),
      known,
    },
    probes: () => probes,
    hintsRead: () => hintsRead,
  };
}

describe('findHead', () => {
  it('finds the head whatever the hint says', async () => {
    const hint = fc.oneof(
      fc.nat({ max: 2_000_000 }).map(headHint),
      fc.string(),
      fc.constant(undefined),
    );
    await fc.assert(fc.asyncProperty(fc.nat({ max: 1_000_000 }), hint, async (head, text) => {
      expect(await findHead(hubOf(head, text).probe)).toBe(head);
    }), { numRuns: 2000 });
  });

  it('takes two probes with an exact hint, and about 2·log2(n) with n entries appended since it', async () => {
    const exact = hubOf(123_456, headHint(123_456));
    expect(await findHead(exact.probe)).toBe(123_456);
    expect(exact.probes()).toBe(2);
    const behind = hubOf(123_456 + 1000, headHint(123_456));
    expect(await findHead(behind.probe)).toBe(124_456);
    expect(behind.probes()).toBeLessThanOrEqual(2 + 2 * Math.ceil(Math.log2(1000)) + 1);
    const none = hubOf(1_000_000, undefined);
    expect(await findHead(none.probe)).toBe(1_000_000);
    expect(none.probes()).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(1_000_000)) + 1);
  });

  it('finds the head from an entry seen before, wherever the head went since (on, or back: a hub restored from a backup)', async () => {
    await fc.assert(fc.asyncProperty(fc.nat({ max: 100_000 }), fc.nat({ max: 100_000 }), fc.option(fc.nat({ max: 100_000 }).map(headHint)), async (head, known, text) => {
      expect(await findHead(hubOf(head, text ?? undefined, known).probe)).toBe(head);
    }), { numRuns: 2000 });
  });

  it('asks two probes at once and reads no hint when the entry seen before is still the head', async () => {
    const still = hubOf(5000, headHint(1), 5000);
    expect(await findHead(still.probe)).toBe(5000);
    expect([still.probes(), still.hintsRead()]).toEqual([2, 0]);
    const on = hubOf(5010, undefined, 5000);
    expect(await findHead(on.probe)).toBe(5010);
    expect(on.hintsRead()).toBe(0);
    expect(on.probes()).toBeLessThanOrEqual(2 + 2 * Math.ceil(Math.log2(10)) + 1);
  });
});
