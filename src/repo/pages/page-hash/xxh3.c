// XXH3-128 (github.com/Cyan4973/xxHash, xxhash.h 0.8.3, BSD 2-Clause) for inputs longer than
// 240 bytes only — database pages are at least 512 — with a seed, as XXH3_128bits_withSeed()
// computes it: the same 128 bits, checked against the reference in page-hash.test.ts. The
// accumulation runs on WebAssembly SIMD, two 64-bit lanes per vector. One call hashes every
// page of a run of pages, so the cost of crossing from JavaScript is paid per run.
#include <stddef.h>
#include <stdint.h>
#include <wasm_simd128.h>

#define PRIME32_1 0x9E3779B1U
#define PRIME32_2 0x85EBCA77U
#define PRIME32_3 0xC2B2AE3DU
#define PRIME64_1 0x9E3779B185EBCA87ULL
#define PRIME64_2 0xC2B2AE3D27D4EB4FULL
#define PRIME64_3 0x165667B19E3779F9ULL
#define PRIME64_4 0x85EBCA77C2B2AE63ULL
#define PRIME64_5 0x27D4EB2F165667C5ULL
#define PRIME_MX1 0x165667919E3779F9ULL
#define SECRET_SIZE 192
#define STRIPE 64
#define STRIPES_PER_BLOCK ((SECRET_SIZE - STRIPE) / 8)
#define BLOCK (STRIPE * STRIPES_PER_BLOCK)

static const uint8_t default_secret[SECRET_SIZE] = {
  0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad, 0x1c,
  0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb, 0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f,
  0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21,
  0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e, 0xe0, 0x35, 0x90, 0xe6, 0x81, 0x3a, 0x26, 0x4c,
  0x3c, 0x28, 0x52, 0xbb, 0x91, 0xc3, 0x00, 0xcb, 0x88, 0xd0, 0x65, 0x8b, 0x1b, 0x53, 0x2e, 0xa3,
  0x71, 0x64, 0x48, 0x97, 0xa2, 0x0d, 0xf9, 0x4e, 0x38, 0x19, 0xef, 0x46, 0xa9, 0xde, 0xac, 0xd8,
  0xa8, 0xfa, 0x76, 0x3f, 0xe3, 0x9c, 0x34, 0x3f, 0xf9, 0xdc, 0xbb, 0xc7, 0xc7, 0x0b, 0x4f, 0x1d,
  0x8a, 0x51, 0xe0, 0x4b, 0xcd, 0xb4, 0x59, 0x31, 0xc8, 0x9f, 0x7e, 0xc9, 0xd9, 0x78, 0x73, 0x64,
  0xea, 0xc5, 0xac, 0x83, 0x34, 0xd3, 0xeb, 0xc3, 0xc5, 0x81, 0xa0, 0xff, 0xfa, 0x13, 0x63, 0xeb,
  0x17, 0x0d, 0xdd, 0x51, 0xb7, 0xf0, 0xda, 0x49, 0xd3, 0x16, 0x55, 0x26, 0x29, 0xd4, 0x68, 0x9e,
  0x2b, 0x16, 0xbe, 0x58, 0x7d, 0x47, 0xa1, 0xfc, 0x8f, 0xf8, 0xb8, 0xd1, 0x7a, 0xd0, 0x31, 0xce,
  0x45, 0xcb, 0x3a, 0x8f, 0x95, 0x16, 0x04, 0x28, 0xaf, 0xd7, 0xfb, 0xca, 0xbb, 0x4b, 0x40, 0x7e,
};

static uint8_t secret[SECRET_SIZE];

static uint64_t read64(const uint8_t *p) {
  uint64_t v;
  __builtin_memcpy(&v, p, 8); // WebAssembly is little-endian, as XXH3 reads
  return v;
}

static void write64(uint8_t *p, uint64_t v) { __builtin_memcpy(p, &v, 8); }

// The secret XXH3 derives from a seed (XXH3_initCustomSecret): every following hash uses it.
__attribute__((export_name("xxh3_seed"))) void xxh3_seed(uint64_t seed) {
  for (int i = 0; i < SECRET_SIZE / 16; i++) {
    write64(secret + 16 * i, read64(default_secret + 16 * i) + seed);
    write64(secret + 16 * i + 8, read64(default_secret + 16 * i + 8) - seed);
  }
}

// One 64-byte stripe into the eight accumulators: acc[i ^ 1] += data; acc[i] += lo32(key) * hi32(key).
static inline void accumulate(v128_t acc[4], const uint8_t *in, const uint8_t *key) {
  for (int i = 0; i < 4; i++) {
    v128_t data = wasm_v128_load(in + 16 * i);
    v128_t data_key = wasm_v128_xor(data, wasm_v128_load(key + 16 * i));
    v128_t lo = wasm_i32x4_shuffle(data_key, data_key, 0, 2, 0, 2);
    v128_t hi = wasm_i32x4_shuffle(data_key, data_key, 1, 3, 1, 3);
    v128_t swapped = wasm_i32x4_shuffle(data, data, 2, 3, 0, 1);
    acc[i] = wasm_i64x2_add(acc[i], wasm_i64x2_add(swapped, wasm_u64x2_extmul_low_u32x4(lo, hi)));
  }
}

static inline void scramble(v128_t acc[4], const uint8_t *key) {
  for (int i = 0; i < 4; i++) {
    v128_t a = wasm_v128_xor(acc[i], wasm_u64x2_shr(acc[i], 47));
    a = wasm_v128_xor(a, wasm_v128_load(key + 16 * i));
    acc[i] = wasm_i64x2_mul(a, wasm_i64x2_splat(PRIME32_1));
  }
}

static uint64_t mul128_fold64(uint64_t lhs, uint64_t rhs) {
  uint64_t lo_lo = (lhs & 0xFFFFFFFF) * (rhs & 0xFFFFFFFF);
  uint64_t hi_lo = (lhs >> 32) * (rhs & 0xFFFFFFFF);
  uint64_t lo_hi = (lhs & 0xFFFFFFFF) * (rhs >> 32);
  uint64_t hi_hi = (lhs >> 32) * (rhs >> 32);
  uint64_t cross = (lo_lo >> 32) + (hi_lo & 0xFFFFFFFF) + lo_hi;
  uint64_t upper = (hi_lo >> 32) + (cross >> 32) + hi_hi;
  uint64_t lower = (cross << 32) | (lo_lo & 0xFFFFFFFF);
  return lower ^ upper;
}

static uint64_t merge(const uint64_t acc[8], const uint8_t *key, uint64_t start) {
  uint64_t h = start;
  for (int i = 0; i < 4; i++) h += mul128_fold64(acc[2 * i] ^ read64(key + 16 * i), acc[2 * i + 1] ^ read64(key + 16 * i + 8));
  h ^= h >> 37;
  h *= PRIME_MX1;
  return h ^ (h >> 32);
}

// XXH3-128 of `len` (> 240) bytes at `in`, written to `out` as the canonical 16 bytes (high half first, big-endian).
static void xxh3_128(const uint8_t *in, size_t len, uint8_t *out) {
  uint64_t init[8] = {PRIME32_3, PRIME64_1, PRIME64_2, PRIME64_3, PRIME64_4, PRIME32_2, PRIME64_5, PRIME32_1};
  v128_t acc[4];
  for (int i = 0; i < 4; i++) acc[i] = wasm_v128_load(init + 2 * i);
  size_t blocks = (len - 1) / BLOCK;
  for (size_t n = 0; n < blocks; n++) {
    for (int s = 0; s < STRIPES_PER_BLOCK; s++) accumulate(acc, in + n * BLOCK + s * STRIPE, secret + 8 * s);
    scramble(acc, secret + SECRET_SIZE - STRIPE);
  }
  size_t stripes = ((len - 1) - BLOCK * blocks) / STRIPE;
  for (size_t s = 0; s < stripes; s++) accumulate(acc, in + blocks * BLOCK + s * STRIPE, secret + 8 * s);
  accumulate(acc, in + len - STRIPE, secret + SECRET_SIZE - STRIPE - 7);
  uint64_t a[8];
  for (int i = 0; i < 4; i++) wasm_v128_store(a + 2 * i, acc[i]);
  uint64_t low = merge(a, secret + 11, (uint64_t)len * PRIME64_1);
  uint64_t high = merge(a, secret + SECRET_SIZE - 64 - 11, ~((uint64_t)len * PRIME64_2));
  for (int i = 0; i < 8; i++) {
    out[i] = (uint8_t)(high >> (56 - 8 * i));
    out[8 + i] = (uint8_t)(low >> (56 - 8 * i));
  }
}

// The XXH3-128 of each of the `count` runs of `size` (> 240) bytes from `in`, 16 bytes each to `out`.
__attribute__((export_name("xxh3_each"))) void xxh3_each(const uint8_t *in, uint32_t size, uint32_t count, uint8_t *out) {
  for (uint32_t i = 0; i < count; i++) xxh3_128(in + (size_t)i * size, size, out + 16 * (size_t)i);
}
