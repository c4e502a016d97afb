// Seeds for the fuzz tests: real changesets and patchsets SQLite wrote over random schemas,
// small enough to mutate by the thousand, each with the scenario whose `before` state it applies to.
import fc from 'fast-check';
import { record, type Scenario } from './scenario.ts';
import { opsArb, schemaArb, type Op, type TableSpec } from './workload.ts';

export interface FuzzSeed {
  bytes: Uint8Array;
  kind: 'changeset' | 'patchset';
  tables: TableSpec[];
  setup: Op[];
}

/** Seeds in pairs (changeset, patchset of the same writes); `scenario` keeps the databases open. */
export function fuzzSeeds(count: number, seed: number): Array<FuzzSeed & { scenario: Scenario }> {
  return fc.sample(fc.tuple(schemaArb, opsArb(6), opsArb(12)), { numRuns: count, seed }).flatMap(([tables, setup, ops]) => {
    const scenario = record(tables, setup, [ops]);
    const pair = [
      { bytes: scenario.changesets[0]!, kind: 'changeset' as const, tables, setup, scenario },
      { bytes: scenario.patchsets[0]!, kind: 'patchset' as const, tables, setup, scenario },
    ];
    return pair.filter((s) => s.bytes.length > 0 && s.bytes.length < 20_000);
  });
}

/** SQLFERRY_FUZZ_LONG=1: the long run (docs/ACCEPTANCE.md); otherwise the suite's short one. */
export const LONG = process.env['SQLFERRY_FUZZ_LONG'] === '1';

export function closeSeeds(seeds: Array<{ scenario: Scenario }>): void {
  for (const scenario of new Set(seeds.map((s) => s.scenario))) scenario.close();
}
