// Comparing byte buffers quickly (vitest's deep equality walks them element by element)
// and saying where they differ when they do.
import { expect } from 'vitest';

export function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  if (Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(expected)) return;
  let i = 0;
  while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++;
  const around = (b: Uint8Array): string => Buffer.from(b.subarray(Math.max(0, i - 8), i + 8)).toString('hex');
  expect.fail(`bytes differ at offset ${i} (lengths ${actual.length} vs ${expected.length}): ${around(actual)} vs ${around(expected)}`);
}
