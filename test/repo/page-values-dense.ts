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
