// The digest kernel (src/changeset/digest-kernel/) computes BLAKE3 as its authors define it,
// and the lane sums of a batch of cells as the plain definition says: each cell's element is
// the first 512 bytes of BLAKE3(row part ‖ cell part), read as 256 little-endian u16 lanes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CellBatch } from '../../src/changeset/digest-cells.ts';
import { acquireKernel, releaseKernel, reserve } from '../../src/changeset/digest-kernel/kernel.ts';
import { blake3Reference } from './helpers/blake3-reference.ts';

// The official vectors, test_vectors/test_vectors.json of https://github.com/BLAKE3-team/BLAKE3
// (commit 77b257eee7da5cd608eaf6be8343d3a4c9776af2): input i is byte i % 251; 131 output bytes.
const vectors = JSON.parse(readFileSync(new URL('./fixtures/blake3-test-vectors.json', import.meta.url), 'utf8')) as { cases: Array<{ input_len: number; hash: string }> };

function kernelXof(input: Uint8Array, outLength: number): Uint8Array {
  const kernel = acquireKernel();
  try {
    const buffer = reserve(kernel, input.length + outLength);
    new Uint8Array(buffer).set(input, kernel.heapBase);
    kernel.exports.blake3_xof(kernel.heapBase, input.length, kernel.heapBase + input.length, outLength);
    return new Uint8Array(kernel.exports.memory.buffer).slice(kernel.heapBase + input.length, kernel.heapBase + input.length + outLength);
  } finally {
    releaseKernel(kernel);
  }
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('the digest kernel', () => {
  it('gives BLAKE3 official test vectors, as does the plain reference it is checked against', () => {
    expect(vectors.cases.length).toBeGreaterThan(30);
    for (const { input_len: n, hash } of vectors.cases) {
      const input = Uint8Array.from({ length: n }, (_, i) => i % 251);
      expect(hex(kernelXof(input, 131)), `input of ${n} bytes`).toBe(hash);
      expect(hex(blake3Reference(input, 131)), `input of ${n} bytes`).toBe(hash);
    }
  });

  it('gives the reference extendable output for any input, also past the vectors 131 bytes', () => {
    const input = fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 5000 }).map((n) => Uint8Array.from({ length: n }, (_, i) => (i * 7) % 256)));
    fc.assert(fc.property(input, fc.integer({ min: 1, max: 700 }), (bytes, outLength) => {
      expect(hex(kernelXof(bytes, outLength))).toBe(hex(blake3Reference(bytes, outLength)));
    }), { numRuns: 150 });
  });

  it('sums the elements of a batch of cells into the lanes of their tables, as the definition says', () => {
    const big = [70_000, 300_000].map((n) => Uint8Array.from({ length: n }, (_, i) => i % 253)); // the second is past the batch buffer
    const value = fc.oneof({ weight: 30, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 40 }) }, { weight: 1, arbitrary: fc.constantFrom(...big) });
    const cell = fc.record({ column: fc.integer({ min: 0, max: 2000 }), value, sign: fc.constantFrom(1 as const, -1 as const) });
    const row = fc.record({ table: fc.integer({ min: 0, max: 2 }), key: fc.array(value, { maxLength: 2 }), cells: fc.array(cell, { maxLength: 6 }) });
    fc.assert(fc.property(fc.array(row, { maxLength: 40 }), fc.integer({ min: 1, max: 4 }), (rows, repeat) => {
      const names = ['t', 'ü', 'x'.repeat(300)].map((n) => Buffer.from(n, 'utf8'));
      const lanes = names.map(() => new Uint16Array(256));
      const expected = names.map(() => new Uint16Array(256));
      const cells = new CellBatch();
      for (const r of Array.from({ length: repeat }, () => rows).flat()) {
        cells.target(lanes[r.table]!);
        const name = names[r.table]!;
        cells.row(name);
        for (const k of r.key) cells.keyRaw(k, 0, k.length);
        const rowPart = Buffer.concat([u32be(name.length), name, ...r.key]);
        for (const c of r.cells) {
          cells.cellRaw(c.column, c.value, 0, c.value.length, c.sign);
          if (c.value.length === 1 && c.value[0] === 5) continue; // NULL: absent
          const element = new Uint16Array(blake3Reference(Buffer.concat([rowPart, u32be(c.column), c.value]), 512).slice().buffer);
          const sums = expected[r.table]!;
          for (let i = 0; i < 256; i++) sums[i] = sums[i]! + c.sign * element[i]!;
        }
      }
      cells.finish();
      lanes.forEach((l, t) => expect([...l]).toEqual([...expected[t]!]));
    }), { numRuns: 40 });
  });
});

function u32be(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
