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

// A one-block input (at most 64 bytes, the usual cell): its root, without the hasher's buffering.
void blake3_root_one_block(const uint8_t *in, size_t len, blake3_output *root) {
  __builtin_memcpy(root->cv, IV, 32);
  __builtin_memset(root->words, 0, 64);
  __builtin_memcpy(root->words, in, len);
  root->block_len = len;
  root->flags = CHUNK_START | CHUNK_END;
}

// The compression below is unrolled with constant message indices and keeps the state in
// locals, so the WebAssembly compiler sees no memory in the rounds but the message words, each
// loaded as a splat where it is used (V8 reads it with one broadcast instead of holding it in
// one of x86-64's 16 vector registers). Rotations by 8 are shifts: V8 builds a byte shuffle's
// mask anew at each use, which costs more than the two shifts.
#define ROTR16(x) wasm_i8x16_shuffle(x, x, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13)
#define ROTR(x, n) wasm_v128_or(wasm_u32x4_shr(x, n), wasm_i32x4_shl(x, 32 - (n)))
#define M(i) wasm_v128_load32_splat(&o->words[i])

// One G of the four-lane state `s`, with message words x and y.
#define G4(s, a, b, c, d, x, y)                         \
  s[a] = wasm_i32x4_add(wasm_i32x4_add(s[a], s[b]), M(x)); \
  s[d] = ROTR16(wasm_v128_xor(s[d], s[a]));             \
  s[c] = wasm_i32x4_add(s[c], s[d]);                    \
  s[b] = ROTR(wasm_v128_xor(s[b], s[c]), 12);           \
  s[a] = wasm_i32x4_add(wasm_i32x4_add(s[a], s[b]), M(y)); \
  s[d] = ROTR(wasm_v128_xor(s[d], s[a]), 8);            \
  s[c] = wasm_i32x4_add(s[c], s[d]);                    \
  s[b] = ROTR(wasm_v128_xor(s[b], s[c]), 7)
// Two four-lane states side by side (blocks counter .. counter + 3 and the next four): they
// are independent, so the CPU overlaps them.
#define G8(a, b, c, d, x, y) \
  G4(s, a, b, c, d, x, y);   \
  G4(t, a, b, c, d, x, y)
#define DIAGONALS(k)                       \
  G8(0, 5, 10, 15, k[8], k[9]);   \
  G8(1, 6, 11, 12, k[10], k[11]); \
  G8(2, 7, 8, 13, k[12], k[13]);  \
  G8(3, 4, 9, 14, k[14], k[15])
#define ROUND(k)                  \
  G8(0, 4, 8, 12, k[0], k[1]);    \
  G8(1, 5, 9, 13, k[2], k[3]);    \
  G8(2, 6, 10, 14, k[4], k[5]);   \
  G8(3, 7, 11, 15, k[6], k[7]);   \
  DIAGONALS(k)

void blake3_root_blocks8_add(const blake3_output *o, uint32_t counter, v128_t acc[32]) {
  // The first round's G on columns 1 to 3 sees only words that every output block shares (the
  // counter is in column 0): done once, in scalar.
  uint32_t u[16] = {o->cv[0], o->cv[1], o->cv[2], o->cv[3], o->cv[4], o->cv[5], o->cv[6], o->cv[7],
                    IV[0], IV[1], IV[2], IV[3], counter, 0, o->block_len, o->flags | ROOT};
  g(u, 1, 5, 9, 13, o->words[2], o->words[3]);
  g(u, 2, 6, 10, 14, o->words[4], o->words[5]);
  g(u, 3, 7, 11, 15, o->words[6], o->words[7]);
  v128_t s[16], t[16];
  for (int i = 0; i < 16; i++) s[i] = t[i] = wasm_i32x4_splat(u[i]);
  s[12] = wasm_i32x4_add(s[12], wasm_i32x4_const(0, 1, 2, 3));
  t[12] = wasm_i32x4_add(t[12], wasm_i32x4_const(4, 5, 6, 7));
  G8(0, 4, 8, 12, 0, 1);
  DIAGONALS(MSG_SCHEDULE[0]);
  ROUND(MSG_SCHEDULE[1]);
  ROUND(MSG_SCHEDULE[2]);
  ROUND(MSG_SCHEDULE[3]);
  ROUND(MSG_SCHEDULE[4]);
  ROUND(MSG_SCHEDULE[5]);
  ROUND(MSG_SCHEDULE[6]);
  for (int i = 0; i < 8; i++) {
    v128_t cv = wasm_v128_load32_splat(&o->cv[i]);
    acc[i] = wasm_i16x8_add(acc[i], wasm_v128_xor(s[i], s[i + 8]));
    acc[i + 8] = wasm_i16x8_add(acc[i + 8], wasm_v128_xor(s[i + 8], cv));
    acc[16 + i] = wasm_i16x8_add(acc[16 + i], wasm_v128_xor(t[i], t[i + 8]));
    acc[24 + i] = wasm_i16x8_add(acc[24 + i], wasm_v128_xor(t[i + 8], cv));
  }
}
