// The content digest's kernel (src/changeset/digest.ts says what the digest is): one call adds
// or removes the lattice elements of many cells, so the cost of crossing from JavaScript is
// paid per batch, not per cell. A cell's element is the first 512 bytes of the BLAKE3
// extendable output of its bytes, read as 256 little-endian 16-bit lanes.
//
// Cells come two ways. add_cells takes a batch that JavaScript wrote, a run of records, each a
// tag byte, a little-endian u32 length and that many bytes:
//   1  the bytes every following cell's input starts with (table name and row key);
//   2  a cell to add: the rest of its input (column number and value);
//   3  a cell to remove, likewise.
// add_records reads a changeset's INSERT, DELETE and UPDATE records itself (digest.ts does the
// same in JavaScript, and does what this leaves to it: table headers, and any record this does
// not take, so that malformed input gets the JavaScript's refusal).
//
// Sums are kept in wrap-around 16-bit SIMD lanes as the output blocks come (lane k of
// added[16h + w] is 16-bit half k % 2 of word w of output block 4h + k / 2), the cells added
// and those removed apart, and put in lane order by take().
#include "blake3.h"

enum { TAG_ROW = 1, TAG_ADD = 2, TAG_REMOVE = 3 };
enum { OP_INSERT = 0x12, OP_UPDATE = 0x17, OP_DELETE = 0x09 };
enum { TYPE_UNDEFINED = 0, TYPE_INTEGER = 1, TYPE_REAL = 2, TYPE_TEXT = 3, TYPE_BLOB = 4, TYPE_NULL = 5 };
enum { MAX_COLUMNS = 32767, MAX_LENGTH = 0x7fffffff, ROW_MAX = 1024 };

static v128_t added[32], removed[32];
static blake3_hasher hasher;

// The element of the input a ‖ b ‖ c.
static void add_element(const uint8_t *a, uint32_t a_len, const uint8_t *b, uint32_t b_len, const uint8_t *c, uint32_t c_len, int remove) {
  blake3_output root;
  if (a_len <= 64 && b_len <= 64 - a_len && c_len <= 64 - a_len - b_len) {
    uint8_t block[64];
    __builtin_memcpy(block, a, a_len);
    __builtin_memcpy(block + a_len, b, b_len);
    __builtin_memcpy(block + a_len + b_len, c, c_len);
    blake3_root_one_block(block, a_len + b_len + c_len, &root);
  } else {
    blake3_init(&hasher);
    blake3_update(&hasher, a, a_len);
    blake3_update(&hasher, b, b_len);
    blake3_update(&hasher, c, c_len);
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
      add_element(row, row_len, p, n, 0, 0, tag == TAG_REMOVE);
    } else {
      return -1;
    }
    p += n;
  }
  return 0;
}

// The end of the value at `p`, or 0 where ByteCursor.skipValue (cursor.ts) would refuse it.
static const uint8_t *skip_value(const uint8_t *p, const uint8_t *end) {
  if (p >= end) return 0;
  uint8_t type = *p++;
  if (type == TYPE_INTEGER || type == TYPE_REAL) return end - p < 8 ? 0 : p + 8;
  if (type == TYPE_TEXT || type == TYPE_BLOB) {
    uint64_t n = 0;
    for (int i = 0; i < 9; i++) { // an SQLite varint, as ByteCursor.varint reads it
      if (p >= end) return 0;
      uint8_t b = *p++;
      n = i == 8 ? n * 256 + b : n * 128 + (b & 0x7f);
      if (n > MAX_LENGTH) return 0;
      if (i < 8 && b < 0x80) break;
    }
    return n > (uint64_t)(end - p) ? 0 : p + n;
  }
  return type == TYPE_NULL || type == TYPE_UNDEFINED ? p : 0;
}

static const uint8_t *at[2 * MAX_COLUMNS + 2]; // where each value of a record starts, then its end; an UPDATE's new record after
static uint8_t row[ROW_MAX];

// A record of `n` values from `p`, noted in `at` from `from` on; its end, or 0.
static const uint8_t *record(const uint8_t *p, const uint8_t *end, uint32_t n, uint32_t from) {
  for (uint32_t i = 0; i < n; i++) {
    at[from + i] = p;
    if ((p = skip_value(p, end)) == 0) return 0;
  }
  at[from + n] = p;
  return p;
}

static void add_cell(uint32_t row_len, uint32_t column, const uint8_t *value, const uint8_t *value_end, int remove) {
  if (value_end - value == 1 && *value == TYPE_NULL) return; // NULL counts as absent
  uint8_t col[4] = {column >> 24, column >> 16, column >> 8, column};
  add_element(row, row_len, col, 4, value, value_end - value, remove);
}

// Adds the cells of the records of one table from `p` on (`len` bytes), as digest.ts's
// addChangesetDelta would: `table` holds the table's `n` primary-key flags, a byte each, then
// the `prefix_len` bytes every row part starts with (name length, u32 big-endian, and name).
// Returns how many bytes it took: it stops at a table header, at the end, and before any record
// it does not take whole (malformed, cut by the end of `len`, or with a key over ROW_MAX bytes).
__attribute__((export_name("add_records"))) uint32_t add_records(const uint8_t *p, uint32_t len, const uint8_t *table, uint32_t n, uint32_t prefix_len) {
  const uint8_t *start = p, *end = p + len, *pk = table;
  if (n == 0 || n > MAX_COLUMNS || prefix_len > ROW_MAX) return 0;
  __builtin_memcpy(row, table + n, prefix_len);
  while (end - p >= 2) {
    uint8_t op = p[0];
    if (op != OP_INSERT && op != OP_DELETE && op != OP_UPDATE) break;
    const uint8_t *next = record(p + 2, end, n, 0);
    if (next == 0 || (op == OP_UPDATE && (next = record(next, end, n, n + 1)) == 0)) break;
    uint32_t row_len = prefix_len;
    for (uint32_t i = 0; i < n && row_len <= ROW_MAX; i++) {
      if (!pk[i]) continue;
      uint32_t k = at[i + 1] - at[i];
      if (k > ROW_MAX - row_len) {
        row_len = ROW_MAX + 1;
      } else {
        __builtin_memcpy(row + row_len, at[i], k);
        row_len += k;
      }
    }
    if (row_len > ROW_MAX) break; // left to digest.ts
    if (op == OP_UPDATE) {
      for (uint32_t i = 0; i < n; i++) {
        if (pk[i] || *at[n + 1 + i] == TYPE_UNDEFINED) continue; // key, or a column the UPDATE leaves alone
        add_cell(row_len, i, at[i], at[i + 1], 1);
        add_cell(row_len, i, at[n + 1 + i], at[n + 2 + i], 0);
      }
    } else {
      for (uint32_t i = 0; i < n; i++) add_cell(row_len, i, at[i], at[i + 1], op == OP_DELETE);
    }
    p = next;
  }
  return p - start;
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
