// Every page's values of a page map or a read (page-values.ts), in memory, to compare whole.
import { PAGE_HASH_BYTES } from '../../src/repo/pages/page-hash/page-hash.ts';
import type { PageValues } from '../../src/repo/pages/page-values.ts';

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
