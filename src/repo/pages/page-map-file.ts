// pages.bin: the page map (page-map.ts) kept in the sidecar, tied to the log entry it was
// recorded at. A cache: missing, damaged, from another entry or another version, it is not
// used, and the next commit compares every table and records one again. Laid out so that it is
// read with no copy: a header (magic, then the JSON head padded to a multiple of 512 bytes), then
// per page its rowid span (2 × 8 bytes), hash (16), owner, leaf and parent (4 each), cells (2)
// and kind (1), each array whole in turn; last an XXH3-128 checksum of everything before it.
//
// A map made from the one read (one page changed: most of it the same) is written over that
// file, in place, from the memory the old one was read into: neither 12 MB of memory nor a new
// file that the system has to find room for. Not atomic, and not synced, either way: a file cut
// short, torn, or left half old by a crash fails the checksum, and one left whole but old names
// another log entry; either costs one full comparison, never a wrong one.
import { closeSync, ftruncateSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { tempPathFor, writeFileRenamed } from '../atomic.ts';
import type { FileStamp } from './fingerprint.ts';
import { Checksum, checksumOf, PAGE_HASH_BYTES } from './page-hash/page-hash.ts';
import type { PageMap } from './page-map.ts';
import type { SidecarPaths } from '../sidecar.ts';

const MAGIC = 'sqlferry page map 7\n';
const CHECKSUM_BYTES = 16;
/** The head is padded to a multiple of this (and so of 8, for the arrays after it): a head a few bytes longer (the next entry's name, a stamp) keeps the file's length, and the file is written over. */
const HEAD_ROUNDING = 512;

interface Head {
  entry: string;
  pageSize: number;
  pageCount: number;
  seed: string;
  tables: string[];
  layout: Record<string, string>;
  mainFile: FileStamp | null;
}

/** The bytes of pages.bin that a map read from it lies in (its arrays are views of them). */
const readInto = new WeakMap<PageMap, Buffer>();

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
  const parts = [header, ...[map.spans, map.hashes, map.owners, map.leafOf, map.parents, map.cells, map.kinds].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))];
  const length = parts.reduce((n, a) => n + a.length, 0) + CHECKSUM_BYTES;
  const old = map.replaces === null ? undefined : readInto.get(map.replaces);
  if (old?.length !== length) {
    writeNew(mapPath(paths), parts);
    return;
  }
  let at = 0;
  for (const a of parts) at += a.copy(old, at); // an array of the old map's own (page-map.ts) is copied onto itself
  checksumOf(old.subarray(0, at)).copy(old, at);
  writeOver(mapPath(paths), old);
}

/**
 * A new file at `path` holding `parts` then their checksum, written as summed (temp file, then
 * renamed): put together in memory first it took as much again as the map (47 bytes a page).
 */
function writeNew(path: string, parts: readonly Buffer[]): void {
  const tmp = tempPathFor(path);
  const sum = new Checksum();
  try {
    const fd = openSync(tmp, 'wx'); // our own new file, not the database
    try {
      for (const bytes of parts) {
        sum.update(bytes);
        writeAll(fd, bytes);
      }
      writeAll(fd, sum.digest());
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  renameSync(tmp, path);
}

function writeAll(fd: number, bytes: Buffer): void {
  for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
}

/** `bytes` written over the file at `path`, which then holds them alone. */
function writeOver(path: string, bytes: Buffer): void {
  let fd: number;
  try {
    fd = openSync(path, 'r+'); // not the database: a descriptor of our own file, closed as usual
  } catch {
    writeFileRenamed(path, bytes); // gone since it was read
    return;
  }
  try {
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at, at);
    ftruncateSync(fd, bytes.length);
  } finally {
    closeSync(fd);
  }
}

/** The page map saved for log entry `entry`, or why there is none. */
export function loadPageMap(paths: SidecarPaths, entry: string): PageMap | string {
  let file: Buffer;
  try {
    file = readFileSync(mapPath(paths));
  } catch {
    return 'no page map from the last commit';
  }
  if (file.toString('latin1', 0, MAGIC.length - 2) === MAGIC.slice(0, -2) && file.toString('latin1', 0, MAGIC.length) !== MAGIC) return 'the page map is from another version of sqlferry';
  if (file.length < MAGIC.length + 4 + CHECKSUM_BYTES || file.toString('latin1', 0, MAGIC.length) !== MAGIC) return 'the page map is damaged';
  const body = file.length - CHECKSUM_BYTES;
  if (!checksumOf(file.subarray(0, body)).equals(file.subarray(body))) return 'the page map is damaged';
  const headBytes = MAGIC.length + 4 + file.readUInt32BE(MAGIC.length);
  const head = JSON.parse(file.toString('utf8', MAGIC.length + 4, headBytes)) as Head;
  if (head.entry !== entry) return 'the page map is from another commit';
  const n = head.pageCount;
  if (headBytes % 8 !== 0 || body !== headBytes + n * (16 + PAGE_HASH_BYTES + 4 + 4 + 4 + 2 + 1)) return 'the page map is damaged';
  const aligned = file.byteOffset % 8 === 0 ? file : Buffer.from(file); // typed arrays over it need its offsets aligned
  let at = aligned.byteOffset + headBytes;
  const take = <T>(make: (buffer: ArrayBuffer, offset: number, length: number) => T, bytes: number, length: number): T => {
    const view = make(aligned.buffer as ArrayBuffer, at, length);
    at += bytes * length;
    return view;
  };
  const map: PageMap = {
    pageSize: head.pageSize, pageCount: n, seed: BigInt(head.seed),
    spans: take((b, o, l) => new BigInt64Array(b, o, l), 8, 2 * n),
    hashes: take((b, o, l) => Buffer.from(b, o, l), 1, n * PAGE_HASH_BYTES),
    owners: take((b, o, l) => new Int32Array(b, o, l), 4, n),
    leafOf: take((b, o, l) => new Int32Array(b, o, l), 4, n),
    parents: take((b, o, l) => new Int32Array(b, o, l), 4, n),
    cells: take((b, o, l) => new Uint16Array(b, o, l), 2, n),
    kinds: take((b, o, l) => new Uint8Array(b, o, l), 1, n),
    tables: head.tables, layout: head.layout, mainFile: head.mainFile, dbstatWalked: [], replaces: null,
  };
  readInto.set(map, aligned.subarray(0, file.length));
  return map;
}

export function forgetPageMap(paths: SidecarPaths): void {
  rmSync(mapPath(paths), { force: true });
}
