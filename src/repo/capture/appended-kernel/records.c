// The records of a table's leaf pages turned into changeset INSERT records, staged into pieces
// listed in a session's order: the inner loop of appended-records.ts, in WebAssembly (build.ts).
// The caller walks the b-tree, copies each leaf into `leaf_ptr()`, and calls `leaf()`; a cell
// whose payload overflows comes back to it to be put together (`spill_ptr()`, then `record()`).
// A piece is made when `piece_rows` rows are staged (`leaf()` answers PIECE; the bytes are at
// `out_ptr()`, `out_len()` of them), or at the end (`flush()`).
// See appended-records.ts for what each value becomes, and why.
#include <stdint.h>

typedef unsigned char u8;
typedef uint32_t u32;
typedef int32_t i32;
typedef uint64_t u64;
typedef int64_t i64;

#define MAX_ROWS 262144
#define MAX_BUCKETS (2 * MAX_ROWS)
#define EXPORT(name) __attribute__((export_name(#name)))
#define LEAF_BYTES 65536
#define PIECE_BYTES 1048576.0
#define FIRST_PIECE_ROWS 8192

enum { DONE = -1, PIECE = -2, E_CELL = -10, E_SHORT = -11, E_LONG = -12, E_ALIAS = -13, E_SERIAL = -14, E_RECORD = -15, E_ORDER = -16 };

extern u8 __heap_base;
static u8 *top;

static u8 *grab(u32 bytes) {
  if (top == 0) top = &__heap_base;
  u8 *at = (u8 *)(((uintptr_t)top + 15) & ~(uintptr_t)15);
  u32 end = (u32)(uintptr_t)at + bytes;
  u32 have = (u32)__builtin_wasm_memory_size(0) * 65536u;
  if (end > have && __builtin_wasm_memory_grow(0, (end - have + 65535) / 65536) < 0) return 0;
  top = at + bytes;
  return at;
}

static u8 *leaf_page, *real, *header, *stage, *out, *spill;
static i32 *ends, *heads, *next_row, *order;
static u32 *lows, *highs, *hashes;
static u32 stage_cap, out_cap, spill_cap, header_len, used, staged, out_used, total;
static i32 columns, key_index, usable, resume;
static u32 above_hi, above_lo; // the mark, its high half biased by 2^31 to compare unsigned
static int every, any_row;
static i64 last_rowid; // rows are staged in ascending rowid order, or refused: no leaf is read twice
static double piece_rows;

/**
 * Room for the fixed parts; 0 when memory cannot grow. `key`: the column that is the rowid, or -1
 * when the rowid is an implicit column 0 the records do not hold (a table without an INTEGER
 * PRIMARY KEY); `n_columns` counts it. `header_bytes`: the table header's.
 */
EXPORT(setup) int setup(int n_columns, int key, int usable_bytes, int every_row, u32 mark_hi, u32 mark_lo, int header_bytes) {
  if (leaf_page == 0) {
    leaf_page = grab(LEAF_BYTES);
    real = grab(2048);
    ends = (i32 *)grab(4 * MAX_ROWS);
    lows = (u32 *)grab(4 * MAX_ROWS);
    highs = (u32 *)grab(4 * MAX_ROWS);
    hashes = (u32 *)grab(4 * MAX_ROWS);
    next_row = (i32 *)grab(4 * MAX_ROWS);
    order = (i32 *)grab(4 * MAX_ROWS);
    heads = (i32 *)grab(8 * MAX_BUCKETS); // the buckets, and room above them to rehash into
    if (heads == 0) return 0;
  }
  if (n_columns > 2048) return 0;
  columns = n_columns;
  key_index = key;
  usable = usable_bytes;
  every = every_row;
  above_hi = mark_hi;
  above_lo = mark_lo;
  piece_rows = FIRST_PIECE_ROWS;
  used = staged = out_used = total = 0;
  any_row = 0;
  header_len = (u32)header_bytes;
  header = grab(header_len);
  return header != 0;
}

EXPORT(leaf_ptr) u8 *leaf_ptr(void) { return leaf_page; }
EXPORT(real_ptr) u8 *real_ptr(void) { return real; }
EXPORT(header_ptr) u8 *header_ptr(void) { return header; }
EXPORT(out_ptr) u8 *out_ptr(void) { return out; }
EXPORT(out_len) u32 out_len(void) { return out_used; }
EXPORT(resume_at) int resume_at(void) { return resume; }
EXPORT(rows) u32 rows(void) { return total; }

static int room(u8 **area, u32 *cap, u32 need) {
  if (need <= *cap) return 1;
  u32 size = *cap ? *cap : 1u << 20;
  while (size < need) size *= 2;
  u8 *bigger = grab(size); // the old area is left behind: areas only double
  if (bigger == 0) return 0;
  if (*area) __builtin_memcpy(bigger, *area, *cap);
  *area = bigger;
  *cap = size;
  return 1;
}

EXPORT(spill_ptr) u8 *spill_ptr(u32 size) { return room(&spill, &spill_cap, size) ? spill : 0; }

/** A varint at p (below end): its value, the bytes it took in *n; *n = 0 past the end. */
static u64 varint(const u8 *p, const u8 *end, int *n) {
  u64 v = 0;
  for (int i = 0; i < 9; i++) {
    if (p + i >= end) break;
    u8 c = p[i];
    if (i == 8) { *n = 9; return (v << 8) | c; }
    v = (v << 7) | (c & 0x7f);
    if (c < 0x80) { *n = i + 1; return v; }
  }
  *n = 0;
  return 0;
}

static u8 *put_be64(u8 *o, u64 v) {
  for (int k = 7; k >= 0; k--) { o[k] = (u8)v; v >>= 8; }
  return o + 8;
}

static u8 *put_varint(u8 *o, u32 v) {
  u8 groups[5];
  int n = 0;
  do { groups[n++] = v & 0x7f; v >>= 7; } while (v);
  for (int i = n - 1; i > 0; i--) *o++ = groups[i] | 0x80;
  *o++ = groups[0];
  return o;
}

static void session_order(u32 n) {
  for (u32 i = 0; i < n; i++) {
    u32 h = 1; // HASH_APPEND(0, SQLITE_INTEGER)
    h = (h << 3) ^ h ^ lows[i];
    h = (h << 3) ^ h ^ highs[i];
    hashes[i] = h;
  }
  u32 buckets = 0;
  for (u32 i = 0; i < n; i++) {
    if (buckets == 0 || i >= buckets / 2) {
      u32 grown = buckets == 0 ? 256 : 2 * buckets;
      // Rehash into the upper half of `heads` first, bucket by bucket as sqlite3session.c does, then move down.
      i32 *fresh = heads + (buckets == 0 ? 0 : MAX_BUCKETS);
      for (u32 b = 0; b < grown; b++) fresh[b] = -1;
      for (u32 b = 0; b < buckets; b++) {
        for (i32 r = heads[b], following; r != -1; r = following) {
          following = next_row[r];
          u32 at = hashes[r] % grown;
          next_row[r] = fresh[at];
          fresh[at] = r;
        }
      }
      if (fresh != heads) __builtin_memmove(heads, fresh, 4 * grown);
      buckets = grown;
    }
    u32 at = hashes[i] % buckets;
    next_row[i] = heads[at];
    heads[at] = (i32)i;
  }
  u32 k = 0;
  for (u32 b = 0; b < buckets; b++) for (i32 r = heads[b]; r != -1; r = next_row[r]) order[k++] = r;
}

/** The staged rows as one piece at out_ptr(), in a session's order; 0 when memory cannot grow. */
EXPORT(flush) int flush(void) {
  out_used = 0;
  if (staged == 0) return 1;
  if (!room(&out, &out_cap, header_len + used)) return 0;
  session_order(staged);
  __builtin_memcpy(out, header, header_len);
  u8 *o = out + header_len;
  for (u32 i = 0; i < staged; i++) {
    i32 r = order[i];
    u32 from = r == 0 ? 0 : (u32)ends[r - 1];
    __builtin_memcpy(o, stage + from, (u32)ends[r] - from);
    o += (u32)ends[r] - from;
  }
  out_used = (u32)(o - out);
  double rows = (double)(i64)(piece_rows * PIECE_BYTES / out_used + 0.5); // JavaScript's Math.round, for positive values
  piece_rows = rows < 256 ? 256 : rows > MAX_ROWS ? MAX_ROWS : rows;
  used = staged = 0;
  return 1;
}

/** Stage the INSERT record of the row `rowid` whose record is bytes[0, size). 1 when a piece is full, 0, or an error code. */
EXPORT(record) int record(const u8 *bytes, u32 size, u32 hi, u32 lo) {
  const u8 *end = bytes + size;
  int n;
  u64 header_size = varint(bytes, end, &n);
  if (n == 0 || header_size > size) return E_RECORD;
  const u8 *at = bytes + n, *header_end = bytes + header_size, *body = header_end;
  if (!room(&stage, &stage_cap, used + 2 + 10 * (u32)columns + size)) return E_RECORD;
  u8 *o = stage + used;
  i64 rowid = (i64)(((u64)hi << 32) | lo);
  if (any_row && rowid <= last_rowid) return E_ORDER;
  *o++ = 18; // INSERT
  *o++ = 0; // not indirect
  if (key_index < 0) {
    *o++ = 1;
    o = put_be64(o, (u64)rowid);
  }
  for (int c = key_index < 0 ? 1 : 0; c < columns; c++) {
    if (at >= header_end) return E_SHORT;
    u64 serial = varint(at, header_end, &n);
    if (n == 0 || serial > 0xffffffffu) return E_RECORD;
    at += n;
    if (c == key_index) {
      if (serial != 0) return E_ALIAS;
      *o++ = 1;
      o = put_be64(o, ((u64)hi << 32) | lo);
    } else if (serial == 0) {
      *o++ = 5;
    } else if (serial <= 6) {
      u32 len = serial <= 4 ? (u32)serial : serial == 5 ? 6 : 8;
      if (body + len > end) return E_RECORD;
      u64 v = (body[0] & 0x80) ? ~(u64)0 : 0;
      for (u32 k = 0; k < len; k++) v = (v << 8) | body[k];
      if (real[c]) {
        double d = (double)(i64)v;
        u64 bits;
        __builtin_memcpy(&bits, &d, 8);
        *o++ = 2;
        o = put_be64(o, bits);
      } else {
        *o++ = 1;
        o = put_be64(o, v);
      }
      body += len;
    } else if (serial == 7) {
      if (body + 8 > end) return E_RECORD;
      *o++ = 2;
      __builtin_memcpy(o, body, 8);
      o += 8;
      body += 8;
    } else if (serial == 8 || serial == 9) {
      if (real[c]) {
        *o++ = 2;
        o = put_be64(o, serial == 8 ? 0 : 0x3ff0000000000000ull);
      } else {
        *o++ = 1;
        o = put_be64(o, serial - 8);
      }
    } else if (serial >= 12) {
      u32 len = (u32)((serial - 12) >> 1);
      if (len > (u32)(end - body)) return E_RECORD;
      *o++ = (serial & 1) ? 3 : 4;
      o = put_varint(o, len);
      __builtin_memcpy(o, body, len);
      o += len;
      body += len;
    } else return E_SERIAL;
  }
  if (at != header_end) return E_LONG;
  if (body != end) return E_RECORD;
  any_row = 1;
  last_rowid = rowid;
  used = (u32)(o - stage);
  ends[staged] = (i32)used;
  lows[staged] = lo;
  highs[staged] = hi;
  staged++;
  total++;
  return staged >= (u32)piece_rows;
}

/**
 * The cells of the leaf at leaf_ptr() from cell `from` on: DONE; PIECE when a piece is ready
 * (go on from resume_at()); a cell's index when its payload overflows (put it together at
 * spill_ptr(), call record(), go on from the next cell); or an error code.
 */
EXPORT(leaf) int leaf(int from) {
  const u8 *page = leaf_page, *end = leaf_page + usable;
  int cells = (page[3] << 8) | page[4];
  if (cells > (usable - 8) / 6) return E_CELL; // SQLite's most cells a page can hold (MX_CELL)
  for (int i = from; i < cells; i++) {
    const u8 *p = page + ((page[8 + 2 * i] << 8) | page[9 + 2 * i]);
    int n;
    if (p >= end) return E_CELL;
    u64 size = varint(p, end, &n);
    if (n == 0 || size > 0x7fffffff) return E_CELL;
    p += n;
    u64 rowid = varint(p, end, &n);
    if (n == 0) return E_CELL;
    p += n;
    u32 hi = (u32)(rowid >> 32), lo = (u32)rowid;
    if (!every && ((hi ^ 0x80000000u) < above_hi || ((hi ^ 0x80000000u) == above_hi && lo <= above_lo))) continue;
    if (size > (u64)(usable - 35)) return i;
    if (p + size > end) return E_CELL;
    int r = record(p, (u32)size, hi, lo);
    if (r < 0) return r;
    if (r == 1) {
      if (!flush()) return E_RECORD;
      resume = i + 1;
      return PIECE;
    }
  }
  return DONE;
}
