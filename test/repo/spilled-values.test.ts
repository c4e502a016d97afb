// A first read's values go to a scratch file as read (spilled-values.ts), in batches of pages
// that the read's chunks do not line up with; and a first read's leaves with no children share
// one slot of the page links (btree-walk.ts PageLinkTable). What is read back is what was given.
import { describe, it, expect } from 'vitest';
import { readdirSync } from 'node:fs';
import { PageKind, PageLinkTable } from '../../src/repo/pages/btree-walk.ts';
import { PAGE_HASH_BYTES } from '../../src/repo/pages/page-hash/page-hash.ts';
import { UNKNOWN_CELLS } from '../../src/repo/pages/leaf-span.ts';
import { SpilledValues } from '../../src/repo/pages/spilled-values.ts';
import { tempDir } from './helpers.ts';

const H = PAGE_HASH_BYTES;

describe('a first read’s values in a scratch file', () => {
  it('reads back every page’s hash, span and cells across batches, with pages forgotten and widened', () => {
    const n = 2 * 16384 + 300; // three batches, the last one short; chunks of 256 straddle the first two's end
    const dir = tempDir();
    const values = new SpilledValues(dir, n);
    expect(readdirSync(dir)).toEqual([]); // removed as soon as open: a crash leaves nothing
    const hashOf = (p: number): number => (p * 7 + 1) % 251;
    for (let from = 0; from < n; from += 256) {
      const to = Math.min(n, from + 256);
      values.hashesFor(from, to).fill(0).forEach((_, at, out) => (out[at] = hashOf(from + Math.floor(at / H))));
      for (let p = from; p < to; p++) values.put(p, BigInt64Array.of(BigInt(p), BigInt(p + 10)), p % 1000);
    }
    values.forget(16384);
    const leaf = Buffer.alloc(512); // a table leaf of one cell, rowid 5: widens page 100's span
    leaf.set([0x0d, 0, 0, 0, 1, 0x01, 0xf0, 0], 0);
    leaf.writeUInt16BE(0x1f0, 8);
    leaf.set([1, 5, 0], 0x1f0);
    values.widen(leaf, 100);
    const hashes = Buffer.alloc(n * H);
    const spans = new BigInt64Array(2 * n);
    const cells = new Uint16Array(n);
    values.hashesInto(0, n, hashes);
    values.spansInto(0, n, spans);
    values.cellsInto(0, n, cells);
    for (const p of [0, 255, 256, 16383, 16385, 32767, 32768, n - 1]) {
      expect([...hashes.subarray(p * H, (p + 1) * H)]).toEqual(Array(H).fill(hashOf(p)));
      expect([spans[2 * p], spans[2 * p + 1]]).toEqual([BigInt(p), BigInt(p + 10)]);
      expect([cells[p], values.cellsOf(p)]).toEqual([p % 1000, p % 1000]);
    }
    expect(hashes.subarray(16384 * H, 16385 * H).every((b) => b === 0)).toBe(true);
    expect(values.cellsOf(16384)).toBe(UNKNOWN_CELLS);
    expect([spans[200], spans[201]]).toEqual([5n, 110n]); // page 100's span, 100..110, widened to rowid 5
    values.close();
  });
});

describe('a first read’s page links', () => {
  it('keeps a leaf with no children as a bit, unless read as an overflow page its next page is within the file', () => {
    const leaf = Buffer.alloc(512);
    leaf.set([0x0d, 0, 0, 0, 0, 0x02, 0, 0]); // a table leaf of no cells: its first four bytes, as a next page, 0x0d000000
    const small = new PageLinkTable(10, 0, true);
    small.add(leaf, 3, 512);
    const big = new PageLinkTable(0x0d000001, 0, true); // a file that holds page 0x0d000000
    big.add(leaf, 3, 512);
    for (const links of [small, big]) expect([links.has(3), links.kinds[links.slotOf(3)], links.ends[links.slotOf(3)]! - links.starts[links.slotOf(3)]!]).toEqual([true, PageKind.Leaf, 0]);
    expect([small.slotOf(3), small.slotOf(9)]).toEqual([0, -1]); // the shared slot; page 9 not added
    expect(big.next[big.slotOf(3)]).toBe(0x0d000000); // its own slot: the chain it would continue is within the file
    expect(big.slotOf(3)).not.toBe(0);
  });
});
