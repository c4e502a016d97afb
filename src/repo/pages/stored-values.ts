// The page map saved in pages.bin (page-map-file.ts), read from the file a checksum piece
// (1 MiB) at a time when asked for, not held: its hashes and rowid spans (32 bytes a page) and
// its owners, leaves, parents, cells and kinds (15), all of which a commit held whole (a 10 GB
// database's: 115 MB). Read through the descriptor the map was loaded from, kept open: a commit
// or a pull forgets the fingerprint, and pages.bin with it, before it saves the next map (the
// file removed, its bytes stay readable until then). Each piece read is summed again and
// compared with its sum from when the map was loaded and checked whole, so the bytes used are
// always the checked ones: a file changed since fails with PageMapChangedError, and the caller
// compares every table instead. The descriptor is closed when the map is saved over, when the
// same file's map is loaded again (this one is then stale), or when the map is collected.
import { closeSync, readSync } from 'node:fs';
import { CHECKSUM_PIECE, PAGE_HASH_BYTES, pieceSum } from './page-hash/page-hash.ts';
import type { PageValues } from './page-values.ts';

export class PageMapChangedError extends Error {
  constructor() {
    super('the page map changed while it was read');
  }
}

/** Where a map's columns lie in pages.bin, and the sums its pieces had when it was checked. */
export interface StoredLayout {
  path: string;
  /** The descriptor it was read through; -1 once closed. */
  fd: number;
  pageCount: number;
  /** Bytes before the page arrays (the magic and the head). */
  headBytes: number;
  /** Bytes summed by the checksum: all but the checksum. */
  body: number;
  /** Per piece of CHECKSUM_PIECE bytes, its sum. */
  sums: Buffer[];
}

/** One piece of a file held in memory, checked, and which it is. */
interface Slot {
  layout: StoredLayout | null;
  index: number;
  length: number;
  bytes: Buffer;
  /** The same bytes as 32- and 16-bit numbers (a piece starts at a multiple of 4 and every column too). */
  int32: Int32Array;
  uint16: Uint16Array;
  /** When last used (the least recently used slot is taken for another piece). */
  used: number;
}

/**
 * The process's pieces held: a pass over a map reads a few columns side by side (a page's owner,
 * leaf and cells lie in three pieces, its span in a fourth), so a few pieces are kept, the least
 * recently used given up for the next; loading, reading and saving a map share them. Made as
 * needed: a small map's columns share a piece or two.
 */
const SLOTS = 4;
const slots: Slot[] = [];
let clock = 0;

function freeSlot(): Slot {
  if (slots.length < SLOTS) {
    const bytes = Buffer.alloc(CHECKSUM_PIECE); // its own ArrayBuffer, from offset 0 (larger than Buffer's pool)
    const slot = { layout: null, index: -1, length: 0, bytes, int32: new Int32Array(bytes.buffer, bytes.byteOffset, CHECKSUM_PIECE / 4), uint16: new Uint16Array(bytes.buffer, bytes.byteOffset, CHECKSUM_PIECE / 2), used: 0 };
    slots.push(slot);
    return slot;
  }
  let oldest = slots[0]!;
  for (const s of slots) if (s.used < oldest.used) oldest = s;
  return oldest;
}

/** A piece buffer for a caller that fills it itself (a load's sums, a save's patches): what it held is forgotten. */
export function scratchPiece(): Buffer {
  const slot = freeSlot();
  [slot.layout, slot.index, slot.used] = [null, -1, ++clock];
  return slot.bytes;
}

/** Piece `k` of the file `layout` describes, read and checked unless held. */
function pieceOf(layout: StoredLayout, k: number): Slot {
  for (const s of slots) {
    if (s.layout === layout && s.index === k) {
      s.used = ++clock;
      return s;
    }
  }
  const slot = freeSlot();
  [slot.layout, slot.index] = [null, -1];
  slot.length = Math.min(CHECKSUM_PIECE, layout.body - k * CHECKSUM_PIECE);
  readPieceInto(layout, k, slot.bytes.subarray(0, slot.length));
  [slot.layout, slot.index, slot.used] = [layout, k, ++clock];
  return slot;
}

/** `length` bytes of the file from `at`, to `out` from `into`. */
function bytesInto(layout: StoredLayout, at: number, length: number, out: Uint8Array, into = 0): void {
  for (let done = 0; done < length; ) {
    const k = Math.floor((at + done) / CHECKSUM_PIECE);
    const slot = pieceOf(layout, k);
    const from = at + done - k * CHECKSUM_PIECE;
    const take = Math.min(length - done, slot.length - from);
    if (take <= 64) for (let b = 0; b < take; b++) out[into + done + b] = slot.bytes[from + b]!; // a page's: no view made per call
    else out.set(slot.bytes.subarray(from, from + take), into + done);
    done += take;
  }
}

/**
 * One column of the map's per-page numbers in the file (owners, leaves, parents: 4 bytes a page;
 * cells: 2; kinds: 1), read as needed: one page's at a time, as a typed array's `at` (a commit
 * asks about the few pages that changed and their children), or a window of pages at a time
 * for a pass over every page.
 */
export class StoredColumn {
  readonly layout: StoredLayout;
  /** Where it starts in the file. */
  readonly offset: number;
  /** Bytes a page: 4, 2 or 1. */
  readonly width: 4 | 2 | 1;
  readonly length: number;
  /** The piece this column read last (checked again before each use: another may have taken its slot). */
  private slot: Slot | null = null;

  constructor(layout: StoredLayout, offset: number, width: 4 | 2 | 1) {
    [this.layout, this.offset, this.width, this.length] = [layout, offset, width, layout.pageCount];
  }

  /** Page `p`'s number (as a typed array's `at`: undefined out of range). */
  at(p: number): number | undefined {
    if (!(p >= 0 && p < this.length)) return undefined;
    const at = this.offset + p * this.width;
    const k = Math.floor(at / CHECKSUM_PIECE);
    let slot = this.slot;
    if (slot === null || slot.layout !== this.layout || slot.index !== k) slot = this.slot = pieceOf(this.layout, k);
    else slot.used = ++clock;
    const i = at - k * CHECKSUM_PIECE;
    return this.width === 4 ? slot.int32[i >> 2]! : this.width === 2 ? slot.uint16[i >> 1]! : slot.bytes[i]!;
  }

  /** Pages [from, to)'s numbers, to `out` (a typed array of this width) from its start. */
  into(from: number, to: number, out: Int32Array | Uint16Array | Uint8Array): void {
    bytesInto(this.layout, this.offset + from * this.width, (to - from) * this.width, new Uint8Array(out.buffer, out.byteOffset, (to - from) * this.width));
  }
}

export class StoredValues implements PageValues {
  readonly layout: StoredLayout;
  /** Per page, its cells as a table leaf (summed per table for its rows: key-ranges.ts). */
  readonly cells: StoredColumn;

  constructor(layout: StoredLayout, cells: StoredColumn) {
    [this.layout, this.cells] = [layout, cells];
    const stale = open.get(layout.path); // the file's map is read again
    if (stale !== undefined) release(stale);
    open.set(layout.path, layout);
    closer.register(this, layout, layout);
  }

  /** Its descriptor closed: later reads fail with PageMapChangedError. */
  close(): void {
    release(this.layout);
  }

  get pageCount(): number {
    return this.layout.pageCount;
  }

  /** Where the spans start in the file: right after the head. */
  get spansAt(): number {
    return this.layout.headBytes;
  }

  get hashesAt(): number {
    return this.layout.headBytes + 16 * this.layout.pageCount;
  }

  hashesInto(from: number, to: number, out: Uint8Array): void {
    bytesInto(this.layout, this.hashesAt + from * PAGE_HASH_BYTES, (to - from) * PAGE_HASH_BYTES, out);
  }

  spansInto(from: number, to: number, out: BigInt64Array): void {
    bytesInto(this.layout, this.spansAt + 16 * from, 16 * (to - from), bytesOf(out));
  }

  cellsOf(p: number): number {
    return this.cells.at(p)!;
  }

  cellsInto(from: number, to: number, out: Uint16Array): void {
    this.cells.into(from, to, out);
  }
}

/** The last array spansInto wrote and its bytes: the scans ask for one span at a time into the same array, 10,000 times in a spread edit. */
let lastSpans: { out: BigInt64Array; bytes: Uint8Array } | undefined;

function bytesOf(out: BigInt64Array): Uint8Array {
  if (lastSpans?.out !== out) lastSpans = { out, bytes: new Uint8Array(out.buffer, out.byteOffset, out.byteLength) };
  return lastSpans.bytes;
}

/** Piece `k` of the file into `into` (its length), checked against its sum. */
export function readPieceInto(layout: StoredLayout, k: number, into: Buffer): void {
  let got = 0;
  try {
    for (let n = -1; got < into.length && n !== 0; got += n) n = readSync(layout.fd, into, got, into.length - got, k * CHECKSUM_PIECE + got);
  } catch {
    throw new PageMapChangedError(); // closed
  }
  if (got < into.length || !pieceSum(into).equals(layout.sums[k]!)) throw new PageMapChangedError();
}

function release(layout: StoredLayout): void {
  if (layout.fd >= 0) closeSync(layout.fd); // our own file, not the database
  layout.fd = -1;
  closer.unregister(layout);
  if (open.get(layout.path) === layout) open.delete(layout.path);
  for (const s of slots) if (s.layout === layout) [s.layout, s.index] = [null, -1]; // a save may have written over the file since
}

/** Per path, the layout of the map read from it whose descriptor is open. */
const open = new Map<string, StoredLayout>();
const closer = new FinalizationRegistry<StoredLayout>(release);
