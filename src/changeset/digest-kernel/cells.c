// The content digest's kernel (src/changeset/digest.ts says what the digest is): one call adds
// or removes the lattice elements of a whole batch of cells, so the cost of crossing from
// JavaScript is paid per batch, not per cell. A cell's element is the first 512 bytes of the
// BLAKE3 extendable output of its bytes, read as 256 little-endian 16-bit lanes.
//
// The batch is a run of records, each a tag byte, a little-endian u32 length and that many bytes:
//   1  the bytes every following cell's input starts with (table name and row key);
//   2  a cell to add: the rest of its input (column number and value);
//   3  a cell to remove, likewise.
// Sums are kept in wrap-around 16-bit SIMD lanes as the output blocks come (lane k of
// added[16h + w] is 16-bit half k % 2 of word w of output block 4h + k / 2), the cells added
// and those removed apart, and put in lane order by take().
#include "blake3.h"

enum { TAG_ROW = 1, TAG_ADD = 2, TAG_REMOVE = 3 };

static v128_t added[32], removed[32];
static blake3_hasher hasher;

static void add_element(const uint8_t *row, uint32_t row_len, const uint8_t *cell, uint32_t cell_len, int remove) {
  blake3_output root;
  if (row_len <= 64 && cell_len <= 64 - row_len) {
    uint8_t block[64];
    __builtin_memcpy(block, row, row_len);
    __builtin_memcpy(block + row_len, cell, cell_len);
    blake3_root_one_block(block, row_len + cell_len, &root);
  } else {
    blake3_init(&hasher);
    blake3_update(&hasher, row, row_len);
    blake3_update(&hasher, cell, cell_len);
    blake3_root(&hasher, &root);
  }
  blake3_root_blocks8_add(&root, 0, remove ? removed : added);
}

static uint32_t u32le(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

// Adds the batch of `len` bytes at `p`; 0, or -1 (nothing trusted) when it is not well formed.
__attribute__((export_name("add_cells"))) int add_cells(const uint8_t *p, uint32_t len) {
  const uint8_t *end = p + len, *row = 0;
  uint32_t row_len = 0;
  while (p < end) {
    if (end - p < 5) return -1;
    uint8_t tag = p[0];
    uint32_t n = u32le(p + 1);
    p += 5;
    if (n > (uint32_t)(end - p)) return -1;
    if (tag == TAG_ROW) {
      row = p;
      row_len = n;
    } else if ((tag == TAG_ADD || tag == TAG_REMOVE) && row != 0) {
      add_element(row, row_len, p, n, tag == TAG_REMOVE);
    } else {
      return -1;
    }
    p += n;
  }
  return 0;
}

// Writes the sums since the last take() as 256 lanes in order at `lanes`, and starts again from zero.
__attribute__((export_name("take"))) void take(uint16_t *lanes) {
  for (int h = 0; h < 2; h++)
    for (int w = 0; w < 16; w++) {
      uint16_t v[8];
      wasm_v128_store(v, wasm_i16x8_sub(added[16 * h + w], removed[16 * h + w]));
      for (int k = 0; k < 8; k++) lanes[32 * (4 * h + k / 2) + 2 * w + k % 2] = v[k];
      added[16 * h + w] = removed[16 * h + w] = wasm_i16x8_splat(0);
    }
}

// The first `out_len` bytes of the BLAKE3 extendable output of `len` bytes at `in` (checked
// against the official test vectors; the digest itself only uses add_element). Each eight
// blocks are added to zeros.
__attribute__((export_name("blake3_xof"))) void blake3_xof(const uint8_t *in, uint32_t len, uint8_t *out, uint32_t out_len) {
  blake3_output root;
  v128_t blocks[32];
  uint8_t bytes[512];
  blake3_init(&hasher);
  blake3_update(&hasher, in, len);
  blake3_root(&hasher, &root);
  for (uint32_t at = 0, counter = 0; at < out_len; counter += 8) {
    for (int w = 0; w < 32; w++) blocks[w] = wasm_i32x4_splat(0);
    blake3_root_blocks8_add(&root, counter, blocks);
    for (int h = 0; h < 2; h++)
      for (int w = 0; w < 16; w++)
        for (int i = 0; i < 4; i++) __builtin_memcpy(bytes + 64 * (4 * h + i) + 4 * w, (const uint8_t *)&blocks[16 * h + w] + 4 * i, 4);
    uint32_t take = out_len - at < 512 ? out_len - at : 512;
    __builtin_memcpy(out + at, bytes, take);
    at += take;
  }
}
