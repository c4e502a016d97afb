// The hashes and rowid spans of the page map saved in pages.bin (page-map-file.ts), read from
// the file a checksum piece (1 MiB) at a time when asked for, not held: 32 bytes a page of the
// database that a commit held whole (a 10 GB database's: 78 MB). Read through the descriptor the
// map was loaded from, kept open: a commit or a pull forgets the fingerprint, and pages.bin with
// it, before it saves the next map (the file removed, its bytes stay readable until then). Each
// piece read is summed again and compared with its sum from when the map was loaded and checked
// whole, so the bytes used are always the checked ones: a file changed since fails with
// PageMapChangedError, and the caller compares every table instead. The descriptor is closed
// when the map is saved over, when the same file's map is loaded again (this one is then
// stale), or when the map is collected.
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

/**
 * The process's one piece buffer and which piece of which map it holds: loading a map, reading
 * its hashes and spans, and saving over it take turns with it (1 MiB, not one each).
 */
const cached = { layout: null as StoredLayout | null, index: -1, length: 0 };
let pieceBytes: Buffer | undefined;

/** The piece buffer, for a caller that fills it itself: what it held is forgotten. */
export function scratchPiece(): Buffer {
  [cached.layout, cached.index] = [null, -1];
  return (pieceBytes ??= Buffer.alloc(CHECKSUM_PIECE));
}

export class StoredValues implements PageValues {
  readonly layout: StoredLayout;
  /** Per page, its cells as a table leaf: kept in memory (2 bytes a page), summed per table for its rows (page-map.ts rowsOf). */
  readonly cells: Uint16Array;

  constructor(layout: StoredLayout, cells: Uint16Array) {
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
    this.bytesInto(this.hashesAt + from * PAGE_HASH_BYTES, (to - from) * PAGE_HASH_BYTES, out);
  }

  spansInto(from: number, to: number, out: BigInt64Array): void {
    this.bytesInto(this.spansAt + 16 * from, 16 * (to - from), bytesOf(out));
  }

  cellsOf(p: number): number {
    return this.cells[p]!;
  }

  cellsInto(from: number, to: number, out: Uint16Array): void {
    out.set(this.cells.subarray(from, to));
  }

  /** `length` bytes of the file from `at`, to `out`'s start. */
  private bytesInto(at: number, length: number, out: Uint8Array): void {
    for (let done = 0; done < length; ) {
      const k = Math.floor((at + done) / CHECKSUM_PIECE);
      if (cached.layout !== this.layout || cached.index !== k) {
        const bytes = scratchPiece().subarray(0, Math.min(CHECKSUM_PIECE, this.layout.body - k * CHECKSUM_PIECE));
        readPieceInto(this.layout, k, bytes);
        [cached.layout, cached.index, cached.length] = [this.layout, k, bytes.length];
      }
      const from = at + done - k * CHECKSUM_PIECE;
      const take = Math.min(length - done, cached.length - from);
      if (take <= 64) for (let k = 0; k < take; k++) out[done + k] = pieceBytes![from + k]!; // a page's: no view made per call
      else out.set(pieceBytes!.subarray(from, from + take), done);
      done += take;
    }
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
}

/** Per path, the layout of the map read from it whose descriptor is open. */
const open = new Map<string, StoredLayout>();
const closer = new FinalizationRegistry<StoredLayout>(release);
