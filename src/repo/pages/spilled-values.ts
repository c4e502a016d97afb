// A first read's values of every page (page-values.ts: hash, rowid span, cells), written to a
// scratch file as the read goes rather than held: in memory they were 34 bytes a page, a third
// of init's memory (2,540,801 pages: 86 MB of 242). The first map's owners, leaves, parents and
// kinds (13 bytes a page) are written after them, a window of pages at a time (page-map.ts). The
// file is our own, removed as soon as it is open (a crash leaves nothing behind), and read back
// a window at a time by the save that copies it into pages.bin (and by whatever else asks).
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { tempPathFor } from '../atomic.ts';
import { PAGE_HASH_BYTES } from './page-hash/page-hash.ts';
import { UNKNOWN_CELLS, widenSpan } from './leaf-span.ts';
import type { PageValues } from './page-values.ts';

const H = PAGE_HASH_BYTES;

/** Pages whose values are put together before they are written (a write per column, not per chunk of 256 pages). */
const BATCH_PAGES = 16384;

/** An fd left open by values never closed (a map made, then not saved) is closed when they are collected. */
const unclosed = new FinalizationRegistry<number>((fd) => closeSync(fd));

/**
 * Every page's values, in a file: hashes, then spans (two rowids each), then cells, each column
 * whole, in the order of pages.bin's; then owners, leaves, parents and kinds (`structureInto`,
 * `structure`). Written in ascending page order (`hashesFor`, `put`), then read.
 */
export class SpilledValues implements PageValues {
  readonly pageCount: number;
  private fd: number;
  /** The batch being put together: its first page, and the end of the pages given so far. */
  private first = 0;
  private end = 0;
  private readonly hashes: Buffer;
  private readonly spans: BigInt64Array;
  private readonly cells: Uint16Array;
  /** cellsOf's window of cells read back: its first page (-1: none). */
  private cellsFrom = -1;
  private readonly cellsRead: Uint16Array;

  /** `dir`: where the scratch file is made (the sidecar's folder: the replica's disk, not a tmpfs in memory). */
  constructor(dir: string, pageCount: number) {
    this.pageCount = pageCount;
    const path = tempPathFor(join(dir, 'page-values'));
    this.fd = openSync(path, 'wx+'); // our own new file, not the database
    rmSync(path);
    unclosed.register(this, this.fd, this);
    const batch = Math.min(BATCH_PAGES, Math.max(1, pageCount));
    [this.hashes, this.spans, this.cells] = [Buffer.alloc(batch * H), new BigInt64Array(2 * batch), new Uint16Array(batch)];
    this.cellsRead = new Uint16Array(batch);
  }

  /** Where the hashes of pages [from, to) go: the pages after the last given, at most a batch of them. */
  hashesFor(from: number, to: number): Buffer {
    if (from !== this.end || to > this.pageCount) throw new Error(`pages ${from}..${to} given out of order`);
    if (to - this.first > this.cells.length) this.flush();
    this.end = to;
    return this.hashes.subarray((from - this.first) * H, (to - this.first) * H);
  }

  /** Page `p`'s span and cells (its hash given by hashesFor). */
  put(p: number, span: BigInt64Array, cells: number): void {
    const i = p - this.first;
    this.spans[2 * i] = span[0]!;
    this.spans[2 * i + 1] = span[1]!;
    this.cells[i] = cells;
  }

  /** The batch written to the file. */
  private flush(): void {
    const n = this.end - this.first;
    if (n === 0) return;
    writeAt(this.fd, this.hashes.subarray(0, n * H), this.first * H);
    writeAt(this.fd, bytesOf(this.spans, 0, 2 * n), (this.pageCount + this.first) * H);
    writeAt(this.fd, bytesOf(this.cells, 0, n), 2 * this.pageCount * H + 2 * this.first);
    this.first = this.end;
    this.cellsFrom = -1;
  }

  hashesInto(from: number, to: number, out: Uint8Array): void {
    this.flush();
    readAt(this.fd, out.subarray(0, (to - from) * H), from * H);
  }

  spansInto(from: number, to: number, out: BigInt64Array): void {
    this.flush();
    readAt(this.fd, bytesOf(out, 0, 2 * (to - from)), (this.pageCount + from) * H);
  }

  cellsInto(from: number, to: number, out: Uint16Array): void {
    this.flush();
    readAt(this.fd, bytesOf(out, 0, to - from), 2 * this.pageCount * H + 2 * from);
  }

  cellsOf(p: number): number {
    if (this.cellsFrom < 0 || p < this.cellsFrom || p >= this.cellsFrom + this.cellsRead.length) {
      this.cellsFrom = p - (p % this.cellsRead.length);
      this.cellsInto(this.cellsFrom, Math.min(this.pageCount, this.cellsFrom + this.cellsRead.length), this.cellsRead);
    }
    return this.cellsRead[p - this.cellsFrom]!;
  }

  /** Page `p`'s span widened to cover the rows of `bytes` too (its other image: leaf-span.ts widenSpan). */
  widen(bytes: Buffer, p: number): void {
    const span = new BigInt64Array(2);
    this.spansInto(p, p + 1, span);
    widenSpan(bytes, p + 1, span, 0);
    writeAt(this.fd, bytesOf(span, 0, 2), (this.pageCount + p) * H);
  }

  /** Page `p`'s content is not known (the WAL's last transaction wrote it, page-read.ts). */
  forget(p: number): void {
    this.flush();
    writeAt(this.fd, Buffer.alloc(H), p * H);
    writeAt(this.fd, bytesOf(Uint16Array.of(UNKNOWN_CELLS), 0, 1), 2 * this.pageCount * H + 2 * p);
    this.cellsFrom = -1;
  }

  /** Pages [from, to)'s owners, leaves, parents and kinds (a window of the first map's walk: arrays from their start). */
  structureInto(from: number, to: number, owners: Int32Array, leafOf: Int32Array, parents: Int32Array, kinds: Uint8Array): void {
    const n = to - from;
    for (const [column, numbers] of [[0, owners], [1, leafOf], [2, parents]] as const) writeAt(this.fd, bytesOf(numbers, 0, n), this.structureAt + 4 * (column * this.pageCount + from));
    writeAt(this.fd, kinds.subarray(0, n), this.structureAt + 12 * this.pageCount + from);
  }

  /** The owners, leaves, parents and kinds written by structureInto, as columns read from the file. */
  structure(): { owners: SpilledColumn; leafOf: SpilledColumn; parents: SpilledColumn; kinds: SpilledColumn } {
    const column = (at: number, width: 4 | 1): SpilledColumn => new SpilledColumn(() => this.fd, this.pageCount, width, this.structureAt + at * this.pageCount);
    return { owners: column(0, 4), leafOf: column(4, 4), parents: column(8, 4), kinds: column(12, 1) };
  }

  /** Where the structure starts in the file: after the values. */
  private get structureAt(): number {
    return (2 * H + 2) * this.pageCount;
  }

  /** The file given up: spent once saved (page-map-file.ts). */
  close(): void {
    if (this.fd < 0) return;
    unclosed.unregister(this);
    closeSync(this.fd);
    this.fd = -1;
  }
}

/** A column of a first map's structure in SpilledValues' file: a number of `width` bytes a page (page-columns.ts PageColumn). */
export class SpilledColumn {
  readonly length: number;
  readonly width: 4 | 1;
  private readonly fd: () => number;
  private readonly at0: number;
  /** at's window of numbers read: its first page (-1: none). */
  private from = -1;
  private window: Int32Array | Uint8Array | null = null;

  constructor(fd: () => number, length: number, width: 4 | 1, at: number) {
    [this.fd, this.length, this.width, this.at0] = [fd, length, width, at];
  }

  at(p: number): number | undefined {
    if (!(p >= 0 && p < this.length)) return undefined;
    const window = (this.window ??= this.width === 4 ? new Int32Array(WINDOW_PAGES) : new Uint8Array(WINDOW_PAGES));
    if (this.from < 0 || p < this.from || p >= this.from + WINDOW_PAGES) {
      this.from = p - (p % WINDOW_PAGES);
      this.into(this.from, Math.min(this.length, this.from + WINDOW_PAGES), window);
    }
    return window[p - this.from]!;
  }

  /** Pages [from, to)'s numbers, to `out` (a typed array of this width) from its start. */
  into(from: number, to: number, out: Int32Array | Uint16Array | Uint8Array): void {
    readAt(this.fd(), new Uint8Array(out.buffer, out.byteOffset, this.width * (to - from)), this.at0 + this.width * from);
  }
}

/** Pages of a SpilledColumn that `at` reads at a time. */
const WINDOW_PAGES = 8192;

function bytesOf(a: BigInt64Array | Uint16Array | Int32Array, from: number, count: number): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset + from * a.BYTES_PER_ELEMENT, count * a.BYTES_PER_ELEMENT);
}

function writeAt(fd: number, bytes: Uint8Array, at: number): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done, at + done);
}

function readAt(fd: number, out: Uint8Array, at: number): void {
  for (let done = 0; done < out.length; ) {
    const got = readSync(fd, out, done, out.length - done, at + done);
    if (got === 0) throw new Error('the scratch file of page values ended early');
    done += got;
  }
}
