// BLAKE3 (regular hash mode), following the BLAKE3 team's reference implementation
// (https://github.com/BLAKE3-team/BLAKE3, reference_impl/reference_impl.rs, and the message
// schedule of c/blake3_impl.h), written for WebAssembly: the extendable output, which the
// digest needs 512 bytes of, computes eight output blocks at once, four in the 32-bit lanes of
// each of two SIMD vectors per state word (they differ only in their counter). Checked against the official
// test_vectors.json (test/changeset/digest-kernel.test.ts).
#include "blake3.h"

enum { CHUNK_START = 1, CHUNK_END = 2, PARENT = 4, ROOT = 8 };

static const uint32_t IV[8] = {0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19};

static const uint8_t MSG_SCHEDULE[7][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8},
    {3, 4, 10, 12, 13, 2, 7, 14, 6, 5, 9, 0, 11, 15, 8, 1},
    {10, 7, 12, 9, 14, 3, 13, 15, 4, 0, 11, 2, 5, 8, 1, 6},
    {12, 13, 9, 11, 15, 10, 14, 8, 7, 2, 5, 3, 0, 1, 6, 4},
    {9, 14, 11, 5, 8, 12, 15, 1, 13, 3, 0, 10, 2, 6, 4, 7},
    {11, 15, 5, 0, 1, 9, 8, 6, 14, 10, 2, 12, 3, 4, 7, 13},
};

static inline uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static inline void g(uint32_t *s, int a, int b, int c, int d, uint32_t x, uint32_t y) {
  s[a] = s[a] + s[b] + x;
  s[d] = rotr(s[d] ^ s[a], 16);
  s[c] = s[c] + s[d];
  s[b] = rotr(s[b] ^ s[c], 12);
  s[a] = s[a] + s[b] + y;
  s[d] = rotr(s[d] ^ s[a], 8);
  s[c] = s[c] + s[d];
  s[b] = rotr(s[b] ^ s[c], 7);
}

// The first 8 words of a compression: the chaining value of a chunk block or a parent.
static void compress_cv(uint32_t cv[8], const uint32_t m[16], uint64_t counter, uint32_t block_len, uint32_t flags) {
  uint32_t s[16] = {cv[0], cv[1], cv[2], cv[3], cv[4], cv[5], cv[6], cv[7],
                    IV[0], IV[1], IV[2], IV[3], (uint32_t)counter, (uint32_t)(counter >> 32), block_len, flags};
  for (int r = 0; r < 7; r++) {
    const uint8_t *k = MSG_SCHEDULE[r];
    g(s, 0, 4, 8, 12, m[k[0]], m[k[1]]);
    g(s, 1, 5, 9, 13, m[k[2]], m[k[3]]);
    g(s, 2, 6, 10, 14, m[k[4]], m[k[5]]);
    g(s, 3, 7, 11, 15, m[k[6]], m[k[7]]);
    g(s, 0, 5, 10, 15, m[k[8]], m[k[9]]);
    g(s, 1, 6, 11, 12, m[k[10]], m[k[11]]);
    g(s, 2, 7, 8, 13, m[k[12]], m[k[13]]);
    g(s, 3, 4, 9, 14, m[k[14]], m[k[15]]);
  }
  for (int i = 0; i < 8; i++) cv[i] = s[i] ^ s[i + 8];
}

static void chunk_reset(blake3_hasher *h, uint64_t counter) {
  __builtin_memcpy(h->cv, IV, 32);
  h->chunk_counter = counter;
  h->block_len = 0;
  h->blocks_compressed = 0;
}

void blake3_init(blake3_hasher *h) {
  chunk_reset(h, 0);
  h->stack_len = 0;
}

static uint32_t start_flag(const blake3_hasher *h) { return h->blocks_compressed == 0 ? CHUNK_START : 0; }

// The current chunk's last block, not yet compressed (zero-padded; WebAssembly is little-endian).
static void chunk_output(blake3_hasher *h, blake3_output *o) {
  __builtin_memset(h->block + h->block_len, 0, 64 - h->block_len);
  __builtin_memcpy(o->cv, h->cv, 32);
  __builtin_memcpy(o->words, h->block, 64);
  o->block_len = h->block_len;
  o->flags = start_flag(h) | CHUNK_END;
}

static void parent_cv(const uint32_t left[8], uint32_t cv[8]) {
  uint32_t m[16];
  __builtin_memcpy(m, left, 32);
  __builtin_memcpy(m + 8, cv, 32);
  __builtin_memcpy(cv, IV, 32);
  compress_cv(cv, m, 0, 64, PARENT);
}

void blake3_update(blake3_hasher *h, const uint8_t *in, size_t len) {
  while (len > 0) {
    if (h->blocks_compressed == 15 && h->block_len == 64) { // a full chunk, and more input: not the root
      blake3_output o;
      chunk_output(h, &o);
      compress_cv(o.cv, o.words, h->chunk_counter, 64, o.flags);
      uint64_t total = h->chunk_counter + 1;
      for (; (total & 1) == 0; total >>= 1) parent_cv(h->stack[--h->stack_len], o.cv);
      __builtin_memcpy(h->stack[h->stack_len++], o.cv, 32);
      chunk_reset(h, h->chunk_counter + 1);
    }
    if (h->block_len == 64) {
      uint32_t m[16];
      __builtin_memcpy(m, h->block, 64);
      compress_cv(h->cv, m, h->chunk_counter, 64, start_flag(h));
      h->blocks_compressed++;
      h->block_len = 0;
    }
    size_t take = 64 - h->block_len < len ? 64 - h->block_len : len;
    __builtin_memcpy(h->block + h->block_len, in, take);
    h->block_len += take;
    in += take;
    len -= take;
  }
}

void blake3_root(blake3_hasher *h, blake3_output *root) {
  chunk_output(h, root);
  if (h->stack_len == 0) return;
  compress_cv(root->cv, root->words, h->chunk_counter, root->block_len, root->flags);
  for (uint32_t i = h->stack_len; i-- > 1;) parent_cv(h->stack[i], root->cv);
  __builtin_memcpy(root->words, h->stack[0], 32);
  __builtin_memcpy(root->words + 8, root->cv, 32);
  __builtin_memcpy(root->cv, IV, 32);
  root->block_len = 64;
  root->flags = PARENT;
}

#define ROTR16(x) wasm_i8x16_shuffle(x, x, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13)
#define ROTR8(x) wasm_i8x16_shuffle(x, x, 1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12)
#define ROTR(x, n) wasm_v128_or(wasm_u32x4_shr(x, n), wasm_i32x4_shl(x, 32 - (n)))

// One G of the four-lane state `s`, with message words `m[x]`, `m[y]`.
#define G4(s, a, b, c, d, x, y)                            \
  s[a] = wasm_i32x4_add(wasm_i32x4_add(s[a], s[b]), m[x]); \
  s[d] = ROTR16(wasm_v128_xor(s[d], s[a]));                \
  s[c] = wasm_i32x4_add(s[c], s[d]);                       \
  s[b] = ROTR(wasm_v128_xor(s[b], s[c]), 12);              \
  s[a] = wasm_i32x4_add(wasm_i32x4_add(s[a], s[b]), m[y]); \
  s[d] = ROTR8(wasm_v128_xor(s[d], s[a]));                 \
  s[c] = wasm_i32x4_add(s[c], s[d]);                       \
  s[b] = ROTR(wasm_v128_xor(s[b], s[c]), 7)
// Two four-lane states side by side (blocks counter .. counter + 3 and the next four): they
// are independent, so the CPU overlaps them.
#define G8(a, b, c, d, x, y) \
  G4(s, a, b, c, d, x, y);   \
  G4(t, a, b, c, d, x, y)

void blake3_root_blocks8(const blake3_output *o, uint32_t counter, v128_t out[32]) {
  v128_t m[16], s[16], t[16];
  for (int i = 0; i < 16; i++) m[i] = wasm_i32x4_splat(o->words[i]);
  for (int i = 0; i < 8; i++) s[i] = wasm_i32x4_splat(o->cv[i]);
  for (int i = 0; i < 4; i++) s[8 + i] = wasm_i32x4_splat(IV[i]);
  s[12] = wasm_i32x4_make(counter, counter + 1, counter + 2, counter + 3);
  s[13] = wasm_i32x4_splat(0);
  s[14] = wasm_i32x4_splat(o->block_len);
  s[15] = wasm_i32x4_splat(o->flags | ROOT);
  for (int i = 0; i < 16; i++) t[i] = s[i];
  t[12] = wasm_i32x4_make(counter + 4, counter + 5, counter + 6, counter + 7);
  for (int r = 0; r < 7; r++) {
    const uint8_t *k = MSG_SCHEDULE[r];
    G8(0, 4, 8, 12, k[0], k[1]);
    G8(1, 5, 9, 13, k[2], k[3]);
    G8(2, 6, 10, 14, k[4], k[5]);
    G8(3, 7, 11, 15, k[6], k[7]);
    G8(0, 5, 10, 15, k[8], k[9]);
    G8(1, 6, 11, 12, k[10], k[11]);
    G8(2, 7, 8, 13, k[12], k[13]);
    G8(3, 4, 9, 14, k[14], k[15]);
  }
  for (int i = 0; i < 8; i++) {
    v128_t cv = wasm_i32x4_splat(o->cv[i]);
    out[i] = wasm_v128_xor(s[i], s[i + 8]);
    out[i + 8] = wasm_v128_xor(s[i + 8], cv);
    out[16 + i] = wasm_v128_xor(t[i], t[i + 8]);
    out[24 + i] = wasm_v128_xor(t[i + 8], cv);
  }
}
