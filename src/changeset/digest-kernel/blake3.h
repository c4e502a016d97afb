// BLAKE3, regular hash mode, as the digest kernel uses it: an incremental hasher and the
// root output node, whose 64-byte output blocks come eight at a time (four SIMD lanes, twice),
// summed straight into the caller's 16-bit lanes.
#ifndef SQLFERRY_BLAKE3_H
#define SQLFERRY_BLAKE3_H
#include <stddef.h>
#include <stdint.h>
#include <wasm_simd128.h>

typedef struct {
  uint32_t cv[8];
  uint32_t words[16];
  uint32_t block_len;
  uint32_t flags;
} blake3_output;

typedef struct {
  uint32_t cv[8]; // of the current chunk
  uint64_t chunk_counter;
  uint8_t block[64];
  uint32_t block_len;
  uint32_t blocks_compressed; // in the current chunk
  uint32_t stack_len;
  uint32_t stack[54][8]; // subtree chaining values: 2^54 chunks of 1 KiB = 2^64 bytes
} blake3_hasher;

void blake3_init(blake3_hasher *h);
void blake3_update(blake3_hasher *h, const uint8_t *in, size_t len);
void blake3_root(blake3_hasher *h, blake3_output *root);
// The root of an input of at most 64 bytes, as blake3_init, blake3_update and blake3_root give it.
void blake3_root_one_block(const uint8_t *in, size_t len, blake3_output *root);
// Adds output blocks `counter` .. `counter` + 7 of the root to `acc` lane-wise, 16 bits at a
// time: 32-bit lane i of acc[16 * h + w] takes word w of block counter + 4 * h + i.
void blake3_root_blocks8_add(const blake3_output *root, uint32_t counter, v128_t acc[32]);
#endif
