// Damaged changesets and patchsets for the fuzz tests: what a bad disk, a cut transfer or an
// attacker with write access to a hub can hand sqlferry. Edits of bytes (bit flips, bytes set —
// value-type bytes most often —, inserted, deleted, cut, a huge length spliced in) and, first,
// the file's first table named again after its changes: alike, or contradicting it (another
// column count, other primary-key flags, its name in other letter case), followed by changes
// that decode under the new header, the shape that made SQLite's applyChangeset crash.
import fc from 'fast-check';
import { changedTables, detectKind, writeChangeset } from '../../../src/changeset/index.ts';
import type { Change, SqlValue, TableHeader } from '../../../src/changeset/index.ts';

export type Edit =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'cut'; at: number }
  | { kind: 'huge'; at: number; varint: number[] };

export interface Repeat {
  /** Column count of the repeated header; 0 keeps the table's own. */
  columns: number;
  /** Primary-key flags (cycled over the columns); empty keeps the table's own. */
  pk: number[];
  upper: boolean;
  ops: Array<'INSERT' | 'UPDATE' | 'DELETE'>;
  key: number;
}

export interface Mutation {
  repeat: Repeat | null;
  edits: Edit[];
}

// A varint SQLite reads as a length near or beyond 2^31, or one that never ends.
const hugeVarints = [[0x87, 0xff, 0xff, 0xff, 0x7f], [0x88, 0x80, 0x80, 0x80, 0x00], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [0x81, 0x80, 0x80, 0x00], [0xff, 0xff]];

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.oneof(fc.nat({ max: 7 }), fc.constantFrom(0x09, 0x12, 0x17, 0x50, 0x54), fc.nat({ max: 255 })) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 9 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 9 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('huge' as const), at: fc.nat(), varint: fc.constantFrom(...hugeVarints) }) },
);

const repeatArb: fc.Arbitrary<Repeat> = fc.record({
  columns: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 12 })),
  pk: fc.oneof(fc.constant<number[]>([]), fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 4 })),
  upper: fc.boolean(),
  ops: fc.array(fc.constantFrom('INSERT' as const, 'UPDATE' as const, 'DELETE' as const), { minLength: 0, maxLength: 3 }),
  key: fc.integer({ min: 1, max: 3 }),
});

export const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  repeat: fc.option(repeatArb, { freq: 3 }),
  edits: fc.array(editArb, { minLength: 0, maxLength: 4 }),
}).filter((m) => m.repeat !== null || m.edits.length > 0);

export function mutate(seed: Uint8Array, m: Mutation): Uint8Array {
  let b = Buffer.from(m.repeat ? repeatFirstTable(seed, m.repeat) : seed);
  for (const e of m.edits) {
    const at = e.at % (b.length + 1);
    if (e.kind === 'flip') {
      if (b.length > 0) b[Math.min(at, b.length - 1)]! ^= 1 << e.bit;
    } else if (e.kind === 'set') {
      if (b.length > 0) b[Math.min(at, b.length - 1)] = e.byte;
    } else if (e.kind === 'insert') b = Buffer.concat([b.subarray(0, at), e.bytes, b.subarray(at)]);
    else if (e.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + e.count)]);
    else if (e.kind === 'cut') b = b.subarray(0, at);
    else b = Buffer.concat([b.subarray(0, at), Uint8Array.from(e.varint), b.subarray(at + e.varint.length)]);
  }
  return new Uint8Array(b);
}

/** The seed, then its first changed table's header again (as `r` says), then `r.ops` under it. */
function repeatFirstTable(seed: Uint8Array, r: Repeat): Uint8Array {
  const first = changedTables(seed)[0];
  if (first === undefined) return seed;
  const n = r.columns || first.pk.length;
  const pkIndex = r.pk.length === 0 ? Array.from({ length: n }, (_, i) => first.pkIndex![i] ?? 0) : Array.from({ length: n }, (_, i) => r.pk[i % r.pk.length]!);
  if (!pkIndex.some((p) => p > 0)) pkIndex[0] = 1;
  const table: TableHeader = { name: r.upper ? first.name.toUpperCase() : first.name, pk: pkIndex.map((p) => p > 0), pkIndex };
  const kind = detectKind(seed);
  const int = (v: number): SqlValue => ({ type: 'integer', value: BigInt(v) });
  const row = (): SqlValue[] => pkIndex.map((_, i) => int(i === 0 ? r.key : i + 1));
  const changes: Change[] = r.ops.map((op) => ({
    table, op, indirect: false,
    old: op === 'INSERT' ? undefined : row(),
    new: op === 'DELETE' ? undefined : op === 'INSERT' ? row() : pkIndex.map((p, i) => (p > 0 ? { type: 'undefined' } : int(100 + i))),
  }));
  // No change: a bare header, as sqldiff writes for a table it compared.
  const tail = changes.length > 0 ? writeChangeset(kind, changes) : headerOnly(kind, table);
  return Buffer.concat([seed, tail]);
}

function headerOnly(kind: 'changeset' | 'patchset', table: TableHeader): Uint8Array {
  return Uint8Array.from([kind === 'patchset' ? 0x50 : 0x54, table.pk.length, ...table.pkIndex!, ...new TextEncoder().encode(table.name), 0]);
}
