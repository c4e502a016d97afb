// What the page read keeps of a page whose hash changed (page-read.ts), parsed where the read put
// it, in the hash kernel's memory: as a table b-tree leaf, its rowid span and cells (leaf-span.ts),
// and its links for the walk of the b-trees (btree-walk.ts PageLinkTable: as a b-tree page, its
// kind and children; as an overflow page, the next of its chain). The same reading as those
// files' JavaScript, which ran mostly unoptimized in a commit (code run once: a spread edit's
// 10,000 changed pages, half a million cells, ≈ 50 ms of CPU). A page whose cells' payload sizes
// reach 2^31 (no sound database has them) is left to the JavaScript, which reads such numbers as
// doubles.
#include <stdint.h>

#define TABLE_LEAF 0x0d
#define INDEX_LEAF 0x0a
#define TABLE_INTERIOR 0x05
#define INDEX_INTERIOR 0x02
#define UNKNOWN_CELLS 0xffff
#define UNKNOWN_LEAF (-2)
#define KIND_NONE 0
#define KIND_INTERIOR 1
#define KIND_LEAF 2
#define PARSE_IN_JS (-2)
#define UNPARSED (-1)

// What parse_page writes at `out`: the span (two int64), then five int32 (cells, kind, next, the
// children's count or UNPARSED, and PARSE_IN_JS when the page is the JavaScript's), then the
// children, four int32 each (page index, 1 for an overflow page, pages left in its chain, leaf).
typedef struct {
  int64_t lo, hi;
  int32_t cells, kind, next, children, status, pad;
} Parsed;

static uint32_t u16(const uint8_t *b, uint32_t at) { return ((uint32_t)b[at] << 8) | b[at + 1]; }

static uint32_t u32(const uint8_t *b, uint32_t at) {
  return ((uint32_t)b[at] << 24) | ((uint32_t)b[at + 1] << 16) | ((uint32_t)b[at + 2] << 8) | b[at + 3];
}

// leaf-span.ts varintLength: the bytes of the varint at `at`; 0 past the page's end.
static uint32_t varint_length(const uint8_t *b, uint32_t len, uint32_t at) {
  for (uint32_t i = 0; i < 9; i++) {
    if (at + i >= len) return 0;
    if (i == 8 || b[at + i] < 0x80) return i + 1;
  }
  return 0;
}

// leaf-span.ts varint: the signed 64-bit integer; 0 (false) past the page's end.
static int varint(const uint8_t *b, uint32_t len, uint32_t at, int64_t *out) {
  uint64_t v = 0;
  for (uint32_t i = 0; i < 9; i++) {
    if (at + i >= len) return 0;
    uint8_t c = b[at + i];
    if (i == 8) {
      *out = (int64_t)((v << 8) | c);
      return 1;
    }
    v = (v << 7) | (c & 0x7f);
    if (c < 0x80) {
      *out = (int64_t)v;
      return 1;
    }
  }
  return 0;
}

static int rowid_of_cell(const uint8_t *b, uint32_t len, uint32_t at, int64_t *out) {
  uint32_t size = varint_length(b, len, at);
  return size != 0 && varint(b, len, at + size, out);
}

// leaf-span.ts spanOf, into lo and hi.
static void span_of(const uint8_t *b, uint32_t len, uint32_t header, int64_t *lo, int64_t *hi) {
  *lo = 1;
  *hi = 0; // NO_ROWS
  if (b[header] != TABLE_LEAF) return;
  uint32_t cells = u16(b, header + 3);
  if (cells == 0) return;
  *lo = INT64_MIN;
  *hi = INT64_MAX; // ANY_ROWS
  if (header + 8 + 2 * cells > len) return;
  int64_t first, last;
  if (!rowid_of_cell(b, len, u16(b, header + 8), &first) || !rowid_of_cell(b, len, u16(b, header + 8 + 2 * (cells - 1)), &last) || first > last) return;
  *lo = first;
  *hi = last;
}

// btree-walk.ts varintEnd, its value as JavaScript reads it; -1 past the page's end, -2 for a
// value of 2^31 or more (left to the JavaScript).
static int64_t varint_end(const uint8_t *b, uint32_t len, uint32_t at, uint32_t *value) {
  uint64_t v = 0;
  for (uint32_t i = 0; i < 9; i++) {
    if (at + i >= len) return -1;
    uint8_t c = b[at + i];
    if (i == 8) return PARSE_IN_JS; // at least 2^56
    v = v * 128 + (c & 0x7f);
    if (c < 0x80) {
      if (v >= 0x80000000u) return PARSE_IN_JS;
      *value = (uint32_t)v;
      return at + i + 1;
    }
  }
  return -1;
}

static int32_t *push(int32_t *at, int32_t page, int32_t overflow, int32_t left, int32_t leaf) {
  at[0] = page;
  at[1] = overflow;
  at[2] = left;
  at[3] = leaf;
  return at + 4;
}

// btree-walk.ts pushChildren: the children's count, UNPARSED when a cell does not parse, PARSE_IN_JS.
static int32_t children_of(const uint8_t *b, uint32_t len, uint32_t usable, int32_t p, int32_t *out) {
  uint8_t type = b[0];
  int interior = type == TABLE_INTERIOR || type == INDEX_INTERIOR;
  uint32_t cells = u16(b, 3);
  uint32_t pointers = interior ? 12 : 8;
  if (pointers + 2 * cells > len) return UNPARSED;
  int index = type == INDEX_INTERIOR || type == INDEX_LEAF;
  int32_t max_local = index ? (int32_t)(((usable - 12) * 64) / 255) - 23 : (int32_t)usable - 35;
  int32_t min_local = (int32_t)(((usable - 12) * 32) / 255) - 23;
  int32_t leaf = type == TABLE_LEAF || type == INDEX_LEAF ? p : UNKNOWN_LEAF;
  int32_t *start = out;
  for (uint32_t i = 0; i < cells; i++) {
    uint32_t at = u16(b, pointers + 2 * i);
    if (interior) {
      if (at + 4 > len) return UNPARSED;
      out = push(out, (int32_t)(u32(b, at) - 1), 0, -1, -1);
      at += 4;
      if (type == TABLE_INTERIOR) continue;
    }
    uint32_t size;
    int64_t end = varint_end(b, len, at, &size);
    if (end < 0) return end == PARSE_IN_JS ? PARSE_IN_JS : UNPARSED;
    at = (uint32_t)end;
    if ((int64_t)size <= max_local) continue;
    if (type == TABLE_LEAF) {
      uint32_t rowid;
      end = varint_end(b, len, at, &rowid);
      if (end == -1) return UNPARSED;
      if (end == PARSE_IN_JS) { // a rowid's varint, not a size: any value goes, only its end counts
        uint32_t n = varint_length(b, len, at);
        if (n == 0) return UNPARSED;
        end = at + n;
      }
      at = (uint32_t)end;
    }
    int64_t k = min_local + (((int64_t)size - min_local) % ((int64_t)usable - 4));
    int64_t local = k <= max_local ? k : min_local;
    if ((int64_t)at + local + 4 > (int64_t)len) return UNPARSED;
    int64_t rest = (int64_t)size - local;
    int64_t pages = (rest + ((int64_t)usable - 4) - 1) / ((int64_t)usable - 4);
    out = push(out, (int32_t)(u32(b, at + (uint32_t)local) - 1), 1, (int32_t)pages, leaf);
  }
  if (interior) out = push(out, (int32_t)(u32(b, 8) - 1), 0, -1, -1);
  return (int32_t)((out - start) / 4);
}

// Page `pageno` (1-based), `len` bytes at `page` of which `usable` are the b-tree's: its span,
// cells and links to `out` (a Parsed, then the children).
__attribute__((export_name("parse_page"))) void parse_page(const uint8_t *page, uint32_t len, uint32_t usable, uint32_t pageno, Parsed *out) {
  uint32_t header = pageno == 1 ? 100 : 0;
  span_of(page, len, header, &out->lo, &out->hi);
  uint8_t type = page[header];
  int any = out->lo == INT64_MIN && out->hi == INT64_MAX;
  out->cells = type == INDEX_LEAF || (type == TABLE_LEAF && any) ? UNKNOWN_CELLS : type == TABLE_LEAF ? (int32_t)u16(page, header + 3) : 0;
  uint8_t kind_type = page[0];
  out->kind = kind_type == TABLE_LEAF || kind_type == INDEX_LEAF ? KIND_LEAF : kind_type == TABLE_INTERIOR || kind_type == INDEX_INTERIOR ? KIND_INTERIOR : KIND_NONE;
  out->next = (int32_t)u32(page, 0);
  out->status = 0;
  out->children = out->kind == KIND_NONE ? 0 : children_of(page, len, usable, (int32_t)pageno - 1, (int32_t *)(out + 1));
  if (out->children == PARSE_IN_JS) out->status = PARSE_IN_JS;
}
