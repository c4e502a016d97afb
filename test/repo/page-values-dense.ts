// Every page's values of a page map or a read (page-values.ts), and a map's structure, in memory, to compare whole or to save.
import { PAGE_HASH_BYTES } from '../../src/repo/pages/page-hash/page-hash.ts';
import type { PageValues } from '../../src/repo/pages/page-values.ts';
import type { PageMap } from '../../src/repo/pages/page-map.ts';
import type { PageColumn } from '../../src/repo/pages/page-columns.ts';

export function denseOf(values: PageValues): { hashes: Buffer; spans: BigInt64Array; cells: Uint16Array } {
  const n = values.pageCount;
  const hashes = Buffer.alloc(n * PAGE_HASH_BYTES);
  const spans = new BigInt64Array(2 * n);
  values.hashesInto(0, n, hashes);
  values.spansInto(0, n, spans);
  return { hashes, spans, cells: Uint16Array.from({ length: n }, (_, p) => values.cellsOf(p)) };
}

/** denseOf's arrays as one run of bytes, to compare large maps quickly (a deep equality of 200,000 bigints took seconds). */
export function bytesOf(values: PageValues): Buffer {
  const { hashes, spans, cells } = denseOf(values);
  return Buffer.concat([hashes, Buffer.from(spans.buffer), Buffer.from(cells.buffer)]);
}

/** A map's owners, leaves, parents and kinds, in arrays (a loaded map's lie in pages.bin), to compare whole or save elsewhere. */
export function structureOf(map: PageMap): { owners: Int32Array; leafOf: Int32Array; parents: Int32Array; kinds: Uint8Array } {
  const n = map.pageCount;
  const ints = (column: PageColumn) => Int32Array.from({ length: n }, (_, p) => column.at(p)!);
  return { owners: ints(map.owners), leafOf: ints(map.leafOf), parents: ints(map.parents), kinds: Uint8Array.from({ length: n }, (_, p) => map.kinds.at(p)!) };
}

const H = PAGE_HASH_BYTES;

/** Every page's values, in memory: a map made up by a test, saved as a first map's are. */
export class DenseValues implements PageValues {
  readonly hashes: Buffer;
  readonly spans: BigInt64Array;
  readonly cells: Uint16Array;

  constructor(hashes: Buffer, spans: BigInt64Array, cells: Uint16Array) {
    [this.hashes, this.spans, this.cells] = [hashes, spans, cells];
  }

  get pageCount(): number {
    return this.cells.length;
  }

  hashesInto(from: number, to: number, out: Uint8Array): void {
    this.hashes.copy(out, 0, from * H, to * H);
  }

  spansInto(from: number, to: number, out: BigInt64Array): void {
    out.set(this.spans.subarray(2 * from, 2 * to));
  }

  cellsOf(p: number): number {
    return this.cells[p]!;
  }

  cellsInto(from: number, to: number, out: Uint16Array): void {
    out.set(this.cells.subarray(from, to));
  }
}
