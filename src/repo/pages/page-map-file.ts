// pages.bin: the page map (page-map.ts) kept in the sidecar, tied to the log entry it was
// recorded at. A cache: missing, damaged, from another entry or another version, it is not
// used, and the next commit compares every table and records one again. A header (magic, then
// the JSON head padded to a multiple of 512 bytes), then per page its rowid span (2 × 8 bytes),
// hash (16), owner, leaf and parent (4 each), cells (2) and kind (1), each array whole in turn;
// last a checksum of everything before it: the hash of the hashes of its 1 MiB pieces
// (page-hash/page-hash.ts Checksum).
//
// Read a piece at a time, checked whole, and nothing of its pages kept: their hashes, spans,
// owners, leaves, parents, cells and kinds are read again from the file when asked for, each
// piece checked against its sum (stored-values.ts). A map made from the one read (a few
// pages changed, no b-tree changed shape) is written over that file, in place: only the pieces
// holding the head and the changed pages' hashes, spans and cells are read, patched, summed and
// written back, then the checksum from the pieces' sums. Not atomic, and not synced, either way:
// a file cut short, torn, or left half old by a crash fails the checksum, and one left whole but
// old names another log entry; either costs one full comparison, never a wrong one.
import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { tempPathFor } from '../atomic.ts';
import type { FileStamp } from './fingerprint.ts';
import { Checksum, CHECKSUM_PIECE, checksumOfSums, PAGE_HASH_BYTES, pieceSum } from './page-hash/page-hash.ts';
import type { PageMap } from './page-map.ts';
import { isWindowed, type PageColumn } from './page-columns.ts';
import { PatchedValues } from './page-values.ts';
import { SpilledValues } from './spilled-values.ts';
import { PageMapChangedError, readPieceInto, scratchPiece, StoredColumn, StoredValues, type StoredLayout } from './stored-values.ts';
import type { SidecarPaths } from '../sidecar.ts';

const MAGIC = 'sqlferry page map 7\n';
const CHECKSUM_BYTES = 16;
/** Bytes per page: span, hash, owner, leaf, parent, cells, kind. */
const PAGE_BYTES = 16 + PAGE_HASH_BYTES + 4 + 4 + 4 + 2 + 1;
/** The head is padded to a multiple of this (and so of 8, for the arrays after it): a head a few bytes longer (the next entry's name, a stamp) keeps the file's length, and the file is written over. */
const HEAD_ROUNDING = 512;
/** Pages of a column put together at a time when a new file is written. */
const WINDOW_PAGES = 16384;

interface Head {
  entry: string;
  pageSize: number;
  pageCount: number;
  seed: string;
  tables: string[];
  layout: Record<string, string>;
  mainFile: FileStamp | null;
}

function mapPath(paths: SidecarPaths): string {
  return join(paths.dir, 'pages.bin');
}

/** Record `map` as the live database's pages when it equalled the log entry `entry` names. The map it replaces is spent. */
export function savePageMap(paths: SidecarPaths, map: PageMap, entry: string): void {
  const head: Head = { entry, pageSize: map.pageSize, pageCount: map.pageCount, seed: String(map.seed), tables: map.tables, layout: map.layout, mainFile: map.mainFile };
  const json = Buffer.from(JSON.stringify(head));
  const start = MAGIC.length + 4 + json.length;
  const headBytes = start + ((HEAD_ROUNDING - (start % HEAD_ROUNDING)) % HEAD_ROUNDING);
  const header = Buffer.alloc(headBytes, ' ');
  header.write(MAGIC, 0, 'latin1');
  header.writeUInt32BE(headBytes - MAGIC.length - 4, MAGIC.length);
  json.copy(header, MAGIC.length + 4);
  const old = map.replaces;
  const base = old?.values instanceof StoredValues ? old.values : null;
  const patched = map.values instanceof PatchedValues && map.values.base === base ? map.values : null;
  const sameStructure = old !== null && map.owners === old.owners && map.leafOf === old.leafOf && map.parents === old.parents && map.kinds === old.kinds;
  const path = mapPath(paths);
  try {
    const over = base !== null && patched !== null && sameStructure && base.layout.headBytes === headBytes && base.pageCount === map.pageCount ? openOver(path, base) : null;
    if (over !== null) writeOver(over, base!, patched!, header);
    else writeNew(path, columns(map, header));
  } catch (err) {
    if (!(err instanceof PageMapChangedError)) throw err;
    forgetPageMap(paths); // the map read was changed by someone else: record none
  } finally {
    base?.close(); // spent
    if (map.values instanceof SpilledValues) map.values.close(); // copied into the file
  }
}

/** A descriptor to write over the file `base` was read from, if it is still at `path` (not removed since); else null. */
function openOver(path: string, base: StoredValues): number | null {
  let fd: number;
  try {
    fd = openSync(path, 'r+'); // not the database: a descriptor of our own file, closed as usual
  } catch {
    return null;
  }
  if (base.layout.fd >= 0 && fstatSync(fd).ino === fstatSync(base.layout.fd).ino) return fd;
  closeSync(fd);
  return null;
}

/** The bytes of a new pages.bin holding `map`, a window of a column at a time (the map's columns may lie in the old file). */
function* columns(map: PageMap, header: Buffer): Generator<Uint8Array> {
  yield header;
  const { values, pageCount: n } = map;
  yield* inWindows(n, new BigInt64Array(2 * WINDOW_PAGES), 16, (from, to, out) => values.spansInto(from, to, out));
  yield* inWindows(n, Buffer.alloc(PAGE_HASH_BYTES * WINDOW_PAGES), PAGE_HASH_BYTES, (from, to, out) => values.hashesInto(from, to, out));
  for (const column of [map.owners, map.leafOf, map.parents]) yield* columnBytes(column, n, () => new Int32Array(WINDOW_PAGES));
  // A window copied (the base's whole, then the patches'), not a lookup per page.
  yield* inWindows(n, new Uint16Array(WINDOW_PAGES), 2, (from, to, out) => values.cellsInto(from, to, out));
  yield* columnBytes(map.kinds, n, () => new Uint8Array(WINDOW_PAGES));
}

/** `n` pages' bytes, `bytesPerPage` each, a window of WINDOW_PAGES at a time: `fill` puts pages [from, to) at the start of `out`. */
function* inWindows<T extends ArrayBufferView>(n: number, out: T, bytesPerPage: number, fill: (from: number, to: number, out: T) => void): Generator<Uint8Array> {
  for (let from = 0; from < n; from += WINDOW_PAGES) {
    const to = Math.min(n, from + WINDOW_PAGES);
    fill(from, to, out);
    yield new Uint8Array(out.buffer, out.byteOffset, bytesPerPage * (to - from));
  }
}

/** The bytes of a column of `n` pages: an array's own, or a stored or patched one's a window at a time. */
function* columnBytes(column: PageColumn, n: number, window: () => Int32Array | Uint8Array): Generator<Uint8Array> {
  if (!isWindowed(column)) {
    const a = column as Int32Array | Uint8Array;
    yield new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    return;
  }
  const out = window();
  yield* inWindows(n, out, out.BYTES_PER_ELEMENT, (from, to) => column.into(from, to, out));
}

/**
 * A new file at `path` holding `parts` then their checksum, written as summed (temp file, then
 * renamed): put together in memory first it took as much again as the map (47 bytes a page).
 */
function writeNew(path: string, parts: Iterable<Uint8Array>): void {
  const tmp = tempPathFor(path);
  const sum = new Checksum();
  try {
    const fd = openSync(tmp, 'wx'); // our own new file, not the database
    try {
      for (const bytes of parts) {
        sum.update(bytes);
        writeAll(fd, bytes, -1);
      }
      writeAll(fd, sum.digest(), -1);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  renameSync(tmp, path);
}

/** `bytes` to `fd` at `at` (-1: where the file's position is). */
function writeAll(fd: number, bytes: Uint8Array, at: number): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done, at < 0 ? null : at + done);
}

/**
 * `values` (the file's own, patched) and `header` written over the file `base` was read from (`fd`):
 * each piece holding a changed byte read (checked), patched, summed and written back, then the
 * checksum of all the pieces' sums.
 */
function writeOver(fd: number, base: StoredValues, values: PatchedValues, header: Buffer): void {
  const { layout } = base;
  const sums = [...layout.sums];
  const piece = scratchPiece();
  let index = -1;
  let length = 0;
  const flush = (): void => {
    if (index < 0) return;
    sums[index] = pieceSum(piece.subarray(0, length));
    writeAll(fd, piece.subarray(0, length), index * CHECKSUM_PIECE);
    index = -1;
  };
  const write = (at: number, bytes: Uint8Array): void => {
    for (let done = 0; done < bytes.length; ) {
      const k = Math.floor((at + done) / CHECKSUM_PIECE);
      if (k !== index) {
        flush();
        length = Math.min(CHECKSUM_PIECE, layout.body - k * CHECKSUM_PIECE);
        readPieceInto(layout, k, piece.subarray(0, length));
        index = k;
      }
      const from = at + done - k * CHECKSUM_PIECE;
      const take = Math.min(bytes.length - done, length - from);
      piece.set(bytes.subarray(done, done + take), from);
      done += take;
    }
  };
  try {
    write(0, header);
    const { patches } = values;
    const n = layout.pageCount;
    const cellsAt = base.hashesAt + (PAGE_HASH_BYTES + 12) * n;
    const bytesOf = (a: BigInt64Array | Uint16Array, from: number, count: number): Uint8Array => new Uint8Array(a.buffer, a.byteOffset + from * a.BYTES_PER_ELEMENT, count * a.BYTES_PER_ELEMENT);
    // Column by column, pages ascending: the file's order, so that each piece is read and written once.
    for (let i = 0; i < patches.size && patches.pages[i]! < n; i++) write(base.spansAt + 16 * patches.pages[i]!, bytesOf(patches.spans, 2 * i, 2));
    for (let i = 0; i < patches.size && patches.pages[i]! < n; i++) write(base.hashesAt + PAGE_HASH_BYTES * patches.pages[i]!, patches.hashes.subarray(i * PAGE_HASH_BYTES, (i + 1) * PAGE_HASH_BYTES));
    for (let i = 0; i < patches.size && patches.pages[i]! < n; i++) write(cellsAt + 2 * patches.pages[i]!, bytesOf(patches.cells, i, 1));
    flush();
    writeAll(fd, checksumOfSums(sums, layout.body), layout.body);
  } finally {
    closeSync(fd);
  }
}

/** The page map saved for log entry `entry`, or why there is none. */
export function loadPageMap(paths: SidecarPaths, entry: string): PageMap | string {
  const path = mapPath(paths);
  let fd: number;
  try {
    fd = openSync(path, 'r'); // our own file, not the database
  } catch {
    return 'no page map from the last commit';
  }
  let map: PageMap | string = 'the page map is damaged';
  try {
    map = readMap(fd, path, entry);
    return map;
  } finally {
    if (typeof map === 'string') closeSync(fd); // else the map reads its hashes and spans through it
  }
}

function readMap(fd: number, path: string, entry: string): PageMap | string {
  const size = fstatSync(fd).size;
  const start = Buffer.alloc(MAGIC.length + 4);
  const got = readSync(fd, start, 0, start.length, 0);
  if (start.toString('latin1', 0, MAGIC.length - 2) === MAGIC.slice(0, -2) && start.toString('latin1', 0, MAGIC.length) !== MAGIC) return 'the page map is from another version of sqlferry';
  if (got < start.length || size < start.length + CHECKSUM_BYTES || start.toString('latin1', 0, MAGIC.length) !== MAGIC) return 'the page map is damaged';
  const body = size - CHECKSUM_BYTES;
  const headBytes = MAGIC.length + 4 + start.readUInt32BE(MAGIC.length);
  if (headBytes > body || headBytes % 8 !== 0) return 'the page map is damaged';
  const header = Buffer.alloc(headBytes);
  let head: Head;
  try {
    if (readSync(fd, header, 0, headBytes, 0) < headBytes) return 'the page map is damaged';
    head = JSON.parse(header.toString('utf8', MAGIC.length + 4)) as Head;
  } catch {
    return 'the page map is damaged';
  }
  const n = head.pageCount;
  if (!Number.isSafeInteger(n) || n < 0 || body !== headBytes + n * PAGE_BYTES) return 'the page map is damaged';
  // Every piece read and summed: the checksum is of their sums. The head is checked with them: it was read before.
  const sums: Buffer[] = [];
  const piece = scratchPiece();
  for (let k = 0; k * CHECKSUM_PIECE < body; k++) {
    const from = k * CHECKSUM_PIECE;
    const bytes = piece.subarray(0, Math.min(CHECKSUM_PIECE, body - from));
    if (readSync(fd, bytes, 0, bytes.length, from) < bytes.length) return 'the page map is damaged';
    sums.push(pieceSum(bytes));
    const headPart = Math.min(headBytes, from + bytes.length) - from;
    if (headPart > 0 && !bytes.subarray(0, headPart).equals(header.subarray(from, from + headPart))) return 'the page map is damaged';
  }
  const checksum = Buffer.alloc(CHECKSUM_BYTES);
  if (readSync(fd, checksum, 0, CHECKSUM_BYTES, body) < CHECKSUM_BYTES || !checksumOfSums(sums, body).equals(checksum)) return 'the page map is damaged';
  if (head.entry !== entry) return 'the page map is from another commit';
  // The columns stay in the file, where they lie.
  const layout: StoredLayout = { path, fd, pageCount: n, headBytes, body, sums };
  const at = headBytes + (16 + PAGE_HASH_BYTES) * n;
  return {
    pageSize: head.pageSize, pageCount: n, seed: BigInt(head.seed), values: new StoredValues(layout, new StoredColumn(layout, at + 12 * n, 2)),
    owners: new StoredColumn(layout, at, 4), leafOf: new StoredColumn(layout, at + 4 * n, 4), parents: new StoredColumn(layout, at + 8 * n, 4), kinds: new StoredColumn(layout, at + 14 * n, 1),
    tables: head.tables, layout: head.layout, mainFile: head.mainFile, dbstatWalked: [], replaces: null,
  };
}

export function forgetPageMap(paths: SidecarPaths): void {
  rmSync(mapPath(paths), { force: true });
}
