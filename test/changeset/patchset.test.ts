import { describe, it } from 'vitest';
import fc from 'fast-check';
import { changesetToPatchset } from '../../src/changeset/index.ts';
import { record } from './helpers/scenario.ts';
import { opsArb, schemaArb } from './helpers/workload.ts';
import { expectSameBytes } from './helpers/bytes.ts';

describe('changesetToPatchset', () => {
  it("writes exactly the patchset the session itself writes", () => {
    fc.assert(
      fc.property(schemaArb, opsArb(10), opsArb(25), (tables, setup, ops) => {
        const s = record(tables, setup, [ops]);
        try {
          expectSameBytes(changesetToPatchset(s.changesets[0]!), s.patchsets[0]!);
          expectSameBytes(changesetToPatchset(s.patchsets[0]!), s.patchsets[0]!);
        } finally {
          s.close();
        }
      }),
      { numRuns: 100 },
    );
  });
});
