// The page map's hash is XXH3-128 with a seed, bit for bit: the expected values were computed by
// the reference implementation (xxhash.h 0.8.3, XXH3_128bits_withSeed, canonical form) on the
// same bytes.
import { describe, it, expect } from 'vitest';
import { Checksum, checksumOf, PAGE_HASH_BYTES, pageHasher } from '../../src/repo/pages/page-hash/page-hash.ts';

const REFERENCE = `241 0 50b62ee1ee6455a7bc424a2c480dd281
512 0 17d1143c4bfb7ce017ec4809d1a9ad43
1000 0 ebf292819ecb8a2ca067b58e6ea5d2f2
1024 0 53bd178b75ab292e1fd15e7d36f5e1bc
4096 0 0c263f435125451084d9e7ce664c8217
65536 0 463ae68f708ee10132152aa15c5ff65a
241 1 711749eb1bd7c954f4014562799325a9
512 1 02e95ce76cee917f86496bc70bf13f78
1000 1 6099b553c93ab0a9372bdf484af1aa35
1024 1 34899998f7b7e4128bd0f37fca810004
4096 1 5e00ac3fb30aa9e97778d31e3c9988b5
65536 1 70a3a6b63b61a0336f2054233773945f
241 81985529216486895 1f5566f355de4392ae3beafb3ac2f987
512 81985529216486895 049b0ceafd75b3f46c95877fd6c3175d
1000 81985529216486895 7eaa1951ec1f15f336d9481e7e7dfac4
1024 81985529216486895 435bcf8ce2b57816b75b005f39bf9183
4096 81985529216486895 1e571a80ab987b16b6c094b42aa1c42e
65536 81985529216486895 af45110002eea2129f201e69f545061f`;

/** Byte i of the reference's input: (i × 2654435761) >> 13, its low 8 bits. */
function input(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor((i * 2654435761) / 8192) % 256;
  return bytes;
}

describe('the page hash', () => {
  it('is XXH3-128 with the seed given', () => {
    for (const line of REFERENCE.split('\n')) {
      const [length, seed, expected] = line.split(' ') as [string, string, string];
      const hasher = pageHasher(BigInt(seed), 65536);
      input(Number(length)).copy(hasher.input);
      const out = Buffer.alloc(PAGE_HASH_BYTES);
      hasher.hashEach(Number(length), 1, out, 0);
      expect(out.toString('hex'), line).toBe(expected);
    }
  });

  it('hashes each run of a batch on its own', () => {
    const hasher = pageHasher(7n, 4 * 1024);
    const pages = Buffer.concat([input(1024), Buffer.alloc(1024, 1), input(1024), Buffer.alloc(1024)]);
    pages.copy(hasher.input);
    const out = Buffer.alloc(5 * PAGE_HASH_BYTES);
    hasher.hashEach(1024, 4, out, PAGE_HASH_BYTES);
    const one = Buffer.alloc(PAGE_HASH_BYTES);
    for (let i = 0; i < 4; i++) {
      pages.copy(hasher.input, 0, i * 1024, (i + 1) * 1024);
      hasher.hashEach(1024, 1, one, 0);
      expect(out.subarray((i + 1) * PAGE_HASH_BYTES, (i + 2) * PAGE_HASH_BYTES).equals(one)).toBe(true);
    }
    expect(out.subarray(16, 32).equals(out.subarray(48, 64))).toBe(true); // the same bytes
    expect(out.subarray(16, 32).equals(out.subarray(32, 48))).toBe(false);
    expect(() => hasher.hashEach(1024, 5, out, 0)).toThrow(RangeError);
  });
});

describe("pages.bin's checksum", () => {
  // Computed by the checksum of 0.1 (pages.bin of format 7), which summed the file whole in memory.
  const EARLIER = { 0: '041499709caf353bd88dd5c18af72108', 300: '3fd3d84c7087ada5a9f3bcf0ba440853', 1048575: '1887c1a0368248f35ec37f3653b2b49a', 1048576: 'bf5db7b8113dc33da8df4caf38a95503', 3145805: '984d34bbeb921f2fc8d9fdd6e4d32f4c' };

  it('is the same given whole or in parts that straddle its 1 MiB pieces, and the same as before', () => {
    for (const [length, hex] of Object.entries(EARLIER)) {
      const bytes = input(Number(length));
      expect(checksumOf(bytes).toString('hex')).toBe(hex);
      const sum = new Checksum();
      for (let at = 0, part = 1; at < bytes.length; at += part, part = part * 7 + 3) sum.update(bytes.subarray(at, at + part));
      expect(sum.digest().toString('hex')).toBe(hex);
    }
  });
});
