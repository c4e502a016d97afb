// How much one batch carries, the same rule on both sides of every transport: entries in order
// while their bytes fit, and always the first, so an entry larger than the bound still travels.

/** Bytes a batch carries by default: large enough that round trips stop mattering, small enough to hold. */
export const BATCH_BYTES = 8 << 20;
/** Entries a batch carries by default: each costs a few file operations on a folder hub. */
export const BATCH_ENTRIES = 512;

/** The leading items whose sizes add up to at most `maxBytes`, always at least one (when any). */
export function leadingWithin<T extends { size: number }>(items: readonly T[], maxBytes: number): T[] {
  let bytes = 0;
  let n = 0;
  while (n < items.length && (n === 0 || bytes + items[n]!.size <= maxBytes)) bytes += items[n++]!.size;
  return items.slice(0, n);
}
