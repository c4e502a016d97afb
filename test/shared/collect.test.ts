// The CLI's collections (src/shared/collect.ts): settle() between two phases of a command leaves
// V8's young generation at its smallest, so what one phase made (ssh2's objects per packet in a
// pull's fetch) does not keep the next phase (the pull's transaction) that much higher; and a
// library caller, which never turned collections on, gets none.
import { describe, it, expect } from 'vitest';
import { getHeapSpaceStatistics } from 'node:v8';
import { collectAsBytesPass, settle } from '../../src/shared/collect.ts';

const MB = 2 ** 20;
const youngGeneration = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_size;

/** Many small objects, a good share of them alive across collections: V8 grows the young generation for them. */
function churn(): void {
  let alive: object[] = [];
  for (let i = 0; i < 3_000_000; i++) {
    alive.push({ i, name: `row ${i}` });
    if (alive.length > 200_000) alive = [];
  }
}

describe('collections between the phases of a command', () => {
  it('leaves the heap as it is in a library (collections never turned on)', () => {
    churn();
    const grown = youngGeneration();
    expect(grown).toBeGreaterThan(8 * MB);
    settle();
    expect(youngGeneration()).toBe(grown);
  });

  it('shrinks the young generation a phase grew back to its smallest in a CLI command', () => {
    collectAsBytesPass();
    churn();
    expect(youngGeneration()).toBeGreaterThan(8 * MB);
    settle();
    expect(youngGeneration()).toBeLessThanOrEqual(2 * MB);
  });
});
