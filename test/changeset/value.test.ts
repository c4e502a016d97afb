import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { sqlLiteral } from '../../src/changeset/value.ts';
import type { SqlValue } from '../../src/changeset/index.ts';
import { openMemory } from './helpers/sqlite.ts';

const valueArb: fc.Arbitrary<SqlValue> = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value) => ({ type: 'integer' as const, value })),
  fc.double({ noNaN: true }).map((value) => ({ type: 'real' as const, value })),
  fc.uint8Array({ maxLength: 16 }).map((value) => ({ type: 'text' as const, value })), // often not UTF-8, sometimes NUL
  fc.string({ unit: 'grapheme' }).map((s) => ({ type: 'text' as const, value: new TextEncoder().encode(s) })),
  fc.uint8Array({ maxLength: 16 }).map((value) => ({ type: 'blob' as const, value })),
  fc.constant({ type: 'null' as const }),
);

describe('sqlLiteral', () => {
  it('reads back in SQLite as exactly the same value and type', () => {
    const db = openMemory('');
    fc.assert(
      fc.property(valueArb, (v) => {
        const row = db.prepare(`SELECT typeof(x) AS t, CAST(x AS BLOB) AS b, x FROM (SELECT ${sqlLiteral(v)} AS x)`);
        row.setReadBigInts(true);
        const r = row.get()!;
        const type = v.type === 'real' ? 'real' : v.type;
        expect(r.t).toBe(type);
        if (v.type === 'text' || v.type === 'blob') expect(Buffer.from(r.b as Uint8Array).equals(v.value)).toBe(true);
        // Bit for bit, -0.0 included (a column without REAL affinity keeps its sign).
        if (v.type === 'real') expect(Object.is(r.x, v.value)).toBe(true);
        if (v.type === 'integer') expect(r.x).toBe(v.value);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps the sign of -0.0', () => {
    expect(sqlLiteral({ type: 'real', value: -0 })).toBe('-0.0');
  });

  it('keeps text with a NUL character whole', () => {
    expect(sqlLiteral({ type: 'text', value: new Uint8Array([0x61, 0, 0x62]) })).toBe("CAST(X'610062' AS TEXT)");
  });
});
