// Convergence: after random edits, collisions and interleaved commit/push/pull/sync, with every
// pair of built-in handler rules taking turns on the replicas, a final round of syncs leaves every
// replica identical, nothing discarded unrecorded, verify clean.
// Short profile in CI; the long one on demand: SQLFERRY_SIM_LONG=1 npx vitest run test/sync/convergence.test.ts
import { describe, it, expect } from 'vitest';
import { simulate } from './simulation.ts';

const long = process.env.SQLFERRY_SIM_LONG === '1';
const profile = long
  ? { runs: [1, 2, 3, 4, 5, 6].flatMap((seed) => [{ seed, hub: 'changeset' as const }, { seed, hub: 'patchset' as const }]), operations: 10_000 }
  : { runs: [{ seed: 20240611, hub: 'changeset' as const }, { seed: 3, hub: 'patchset' as const }], operations: 1500 };

describe('convergence simulation', () => {
  for (const { seed, hub } of profile.runs) {
    it(`converges with 4 replicas and one ${hub} hub (seed ${seed}, ${profile.operations} operations)`, { timeout: long ? 3_600_000 : 300_000 }, async () => {
      const report = await simulate(seed, profile.operations, 4, hub);
      const byTable = (t: string) => Object.entries(report.tables).filter(([k]) => k.endsWith(`.${t}`)).map(([, rows]) => rows);
      for (const t of ['parent', 'child']) {
        const [first, ...rest] = byTable(t);
        for (const other of rest) expect(other).toEqual(first);
      }
      expect(report.lost).toEqual([]);
      expect(report.verifyProblems).toEqual([]);
      // The run must have exercised conflicts, or it proves little.
      expect(report.conflicts).toBeGreaterThan(10);
      // Every ordered pair of the 7 built-in rules (default included) decided conflicts; abort stopped some pulls.
      expect(report.combosExercised).toHaveLength(49);
      expect(report.aborts).toBeGreaterThan(0);
    });
  }
});
