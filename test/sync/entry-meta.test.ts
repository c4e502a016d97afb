// The log's and the hub's metadata of one entry: what a pull writes into the log and what a push
// sends must say the same thing (the chain, who pushed it, its digest).
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type { EntryMeta } from '../../src/hub/remote.ts';
import { hubMeta, logMeta } from '../../src/sync/entry-meta.ts';

const hex = fc.stringMatching(/^[0-9a-f]{64}$/);
const hubEntry = fc.record({
  seq: fc.integer({ min: 1, max: 1_000_000 }),
  parent: hex,
  replica: fc.uuid(),
  time: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  message: fc.string(),
  schema: fc.array(fc.string(), { maxLength: 3 }),
  kind: fc.constantFrom('changeset' as const, 'patchset' as const),
  sha256: hex,
  size: fc.nat(),
  digest: fc.dictionary(fc.string({ minLength: 1 }), hex, { maxKeys: 3 }),
}) satisfies fc.Arbitrary<EntryMeta>;

describe('entry metadata, log and hub', () => {
  it('a hub entry taken into the log and pushed again is the same entry (parent, replica, digest kept)', () => {
    fc.assert(
      fc.property(hubEntry.filter((e) => e.seq > 1), (entry) => {
        const local = logMeta(entry);
        expect(local.parent).toBe(entry.parent);
        expect(local.replicaId).toBe(entry.replica);
        expect(local.digest).toEqual(entry.digest);
        expect(hubMeta(local, { seq: entry.seq, parent: entry.parent, replica: entry.replica, kind: entry.kind, sha256: entry.sha256, size: entry.size, digest: entry.digest })).toEqual(entry);
      }),
    );
  });

  it("the first entry's parent is the genesis snapshot, which the log does not name", () => {
    fc.assert(
      fc.property(hubEntry.map((e) => ({ ...e, seq: 1 })), (entry) => {
        expect(logMeta(entry).parent).toBeNull();
      }),
    );
  });

  it('an entry an older sqlferry wrote carries no digest, and the log holds none for it', () => {
    fc.assert(
      fc.property(hubEntry, ({ digest: _dropped, ...entry }) => {
        expect('digest' in logMeta(entry)).toBe(false);
      }),
    );
  });
});
