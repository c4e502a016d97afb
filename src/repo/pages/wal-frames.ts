// The committed frames of a WAL file, found as SQLite's recovery finds them
// (sqlite.org/fileformat2.html#walformat): from the header on, frames whose salt matches the
// header's and whose cumulative checksum holds, up to the last one that ends a transaction (a
// non-zero "database size" field). Read in chunks, keeping only where each page's newest
// image lies: memory stays bounded by the chunk, whatever the WAL's size.
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';

export interface WalFrames {
  /** Open descriptor of the WAL file (it carries no locks; close it when done), or null. */
  fd: number | null;
  /** Page number → file offset of its newest committed image. */
  frames: PageFrames;
  /** The database size in pages after the last committed transaction; 0 when there is none. */
  dbSize: number;
  /** Pages the last committed transaction wrote. */
  lastWritten: number[];
  /** Frames up to the last committed one, and the WAL header's salts (hex): what the WAL-index header says when it is published (wal-index.ts). */
  end: { frames: number; salt: string } | null;
  /** For each of lastWritten, where its image before that transaction lies: an earlier frame's offset, or -1 (the main file). */
  before: Float64Array;
  /** The WAL file is absent or empty. */
  empty: boolean;
}

/**
 * Page number → offset of a frame, in typed arrays (open addressing): a Map held some 60 bytes
 * per page and a bulk load's WAL has a frame for each of its pages (433 MB: 105,000).
 */
export class PageFrames {
  private pages = new Uint32Array(1024);
  private slots = new Int32Array(1024);
  private count = 0;
  private readonly offsetOf: (frame: number) => number;

  constructor(offsetOf: (frame: number) => number) {
    this.offsetOf = offsetOf;
  }

  get size(): number {
    return this.count;
  }

  /** The offset of page `page`'s frame, or undefined. */
  get(page: number): number | undefined {
    const frame = this.frameOf(page);
    return frame < 0 ? undefined : this.offsetOf(frame);
  }

  /** Page `page`'s frame index, or -1. */
  frameOf(page: number): number {
    const mask = this.pages.length - 1;
    for (let at = hashOf(page) & mask; this.pages[at] !== 0; at = (at + 1) & mask) if (this.pages[at] === page) return this.slots[at]!;
    return -1;
  }

  set(page: number, frame: number): void {
    if (2 * (this.count + 1) > this.pages.length) this.grow();
    const mask = this.pages.length - 1;
    let at = hashOf(page) & mask;
    while (this.pages[at] !== 0 && this.pages[at] !== page) at = (at + 1) & mask;
    if (this.pages[at] === 0) this.count++;
    this.pages[at] = page;
    this.slots[at] = frame;
  }

  forEachPage(visit: (page: number) => void): void {
    for (const page of this.pages) if (page !== 0) visit(page);
  }

  private grow(): void {
    const [pages, slots] = [this.pages, this.slots];
    this.pages = new Uint32Array(2 * pages.length);
    this.slots = new Int32Array(2 * pages.length);
    this.count = 0;
    for (let at = 0; at < pages.length; at++) if (pages[at] !== 0) this.set(pages[at]!, slots[at]!);
  }
}

/** Page numbers of a bulk load follow each other: mixed, so that they do not fill one run of slots. */
function hashOf(page: number): number {
  return Math.imul(page, 0x9e3779b1) >>> 0;
}

type Found = Omit<WalFrames, 'fd' | 'empty'>;
const none = (pageSize: number): Found => ({ frames: new PageFrames(offsetIn(pageSize)), dbSize: 0, lastWritten: [], before: new Float64Array(0), end: null });

/** Frame index → the offset of its page image. */
function offsetIn(pageSize: number): (frame: number) => number {
  return (frame) => 32 + frame * (24 + pageSize) + 24;
}

/**
 * The last scan, and what the WAL file was when it ran: a commit reads the WAL twice in one read
 * transaction (the page map's read, then the walk of the new rows), each scan a pass over the
 * whole file with its checksums (a bulk load held in the WAL: 215 MB for 3,000,000 rows).
 */
let lastScan: { key: string; header: Buffer; found: Found } | undefined;

/**
 * The committed frames of `walPath`, or why they cannot be trusted. `reuse`: the last scan's
 * frames when the file is the one it read (the same inode, size, modification time and header);
 * for a reader that proves afterwards that the pages it read were its transaction's
 * (snapshot-pages.ts), since a scan is of the file as it was, not of a transaction.
 */
export function committedFrames(walPath: string, pageSize: number, reuse = false): WalFrames | string {
  let fd: number;
  try {
    if (statSync(walPath, { throwIfNoEntry: false }) === undefined) return { ...none(pageSize), fd: null, empty: true }; // cheaper than a failed open
    fd = openSync(walPath, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ...none(pageSize), fd: null, empty: true };
    throw err;
  }
  try {
    const stat = fstatSync(fd, { bigint: true });
    const empty = stat.size === 0n;
    const key = `${walPath}\0${pageSize}\0${stat.ino}\0${stat.size}\0${stat.mtimeNs}\0${stat.ctimeNs}`;
    const header = Buffer.alloc(32);
    header.fill(0, readSync(fd, header, 0, 32, 0));
    const found = reuse && lastScan?.key === key && lastScan.header.equals(header) ? lastScan.found : scan(fd, pageSize);
    lastScan = typeof found === 'string' ? undefined : { key, header, found };
    if (typeof found === 'string' || found.frames.size === 0) {
      closeSync(fd);
      return typeof found === 'string' ? found : { ...found, fd: null, empty };
    }
    return { ...found, fd, empty };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/**
 * The scan keeps only each frame's page number (4 bytes a frame) and where the last two
 * transactions end; the index of the newest images is built after it (indexed).
 */
function scan(fd: number, pageSize: number): Found | string {
  const header = Buffer.alloc(32);
  if (readSync(fd, header, 0, 32, 0) < 32) return none(pageSize); // no header yet: no frames
  const magic = header.readUInt32BE(0);
  if ((magic & 0xfffffffe) !== 0x377f0682 || header.readUInt32BE(4) !== 3007000) return 'the WAL file has an unknown header';
  const bigEndian = (magic & 1) === 1;
  const swap = bigEndian === HOST_LITTLE_ENDIAN;
  let sum = checksum(wordsOf(header), 0, 6, swap, [0, 0]);
  if (sum[0] !== header.readUInt32BE(24) || sum[1] !== header.readUInt32BE(28)) return none(pageSize); // a header being rewritten: nothing valid after it
  if (header.readUInt32BE(8) !== pageSize) return 'the WAL file has another page size than the database';
  const [salt1, salt2] = [header.readUInt32BE(16), header.readUInt32BE(20)];
  const frameSize = 24 + pageSize;
  const perChunk = Math.max(1, Math.floor((1 << 20) / frameSize));
  const chunk = Buffer.alloc(perChunk * frameSize);
  const words = wordsOf(chunk); // a frame's fields and its page start at multiples of 4 (frameSize is)
  let pageOf = new Uint32Array(perChunk); // frame index → its page
  const last = { start: 0, end: 0, dbSize: 0 }; // the last committed transaction's frames
  let frame = 0;
  scanning: for (let start = 32; ; start += perChunk * frameSize) {
    const got = readSync(fd, chunk, 0, chunk.length, start);
    for (let at = 0; at + frameSize <= got; at += frameSize, frame++) {
      const page = chunk.readUInt32BE(at);
      if (page === 0 || chunk.readUInt32BE(at + 8) !== salt1 || chunk.readUInt32BE(at + 12) !== salt2) break scanning;
      sum = checksum(words, (at + 24) >>> 2, pageSize >>> 2, swap, checksum(words, at >>> 2, 2, swap, sum));
      if (sum[0] !== chunk.readUInt32BE(at + 16) || sum[1] !== chunk.readUInt32BE(at + 20)) break scanning;
      if (frame === pageOf.length) pageOf = grown(pageOf);
      pageOf[frame] = page;
      const dbSize = chunk.readUInt32BE(at + 4);
      if (dbSize === 0) continue; // not the last frame of a transaction
      Object.assign(last, { start: last.end, end: frame + 1, dbSize });
    }
    if (got < chunk.length) break;
  }
  return indexed(pageOf, last, pageSize, header.toString('hex', 16, 24));
}

function grown(pageOf: Uint32Array<ArrayBuffer>): Uint32Array<ArrayBuffer> {
  const more = new Uint32Array(2 * pageOf.length);
  more.set(pageOf);
  return more;
}

/** The newest image of each page up to the last commit, and what that commit's pages were before it. */
function indexed(pageOf: Uint32Array, last: { start: number; end: number; dbSize: number }, pageSize: number, salt: string): Found {
  const out = none(pageSize);
  if (last.end === 0) return out;
  const offsetOf = offsetIn(pageSize);
  for (let frame = 0; frame < last.start; frame++) out.frames.set(pageOf[frame]!, frame);
  const before = new Float64Array(last.end - last.start);
  for (let frame = last.start; frame < last.end; frame++) {
    const page = pageOf[frame]!;
    const earlier = out.frames.frameOf(page);
    if (earlier < last.start) { // the transaction's first frame of this page
      before[out.lastWritten.length] = earlier < 0 ? -1 : offsetOf(earlier);
      out.lastWritten.push(page);
    }
    out.frames.set(page, frame);
  }
  return { ...out, before: before.slice(0, out.lastWritten.length), dbSize: last.dbSize, end: { frames: last.end, salt } };
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** A buffer of its own (Buffer.alloc: never a slice of the pool) seen as 32-bit words in the host's byte order. */
function wordsOf(bytes: Buffer): Int32Array {
  return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
}

/**
 * SQLite's WAL checksum over `count` 32-bit words (an even number) from word `start`, continuing
 * from `from`. The words are read in the WAL's byte order: the host's, or `swap`ped. Typed-array
 * reads and 32-bit sums (`| 0`), not Buffer's readUInt32* and doubles: a bulk load's WAL is
 * checksummed whole (215 MB for 3,000,000 rows), ≈ 1 s of CPU that way, ≈ 0.05 s this way.
 */
function checksum(words: Int32Array, start: number, count: number, swap: boolean, from: [number, number]): [number, number] {
  let s1 = from[0] | 0;
  let s2 = from[1] | 0;
  const end = start + count;
  if (swap) {
    for (let i = start; i < end; i += 2) {
      s1 = (s1 + byteSwapped(words[i]!) + s2) | 0;
      s2 = (s2 + byteSwapped(words[i + 1]!) + s1) | 0;
    }
  } else {
    for (let i = start; i < end; i += 2) {
      s1 = (s1 + words[i]! + s2) | 0;
      s2 = (s2 + words[i + 1]! + s1) | 0;
    }
  }
  return [s1 >>> 0, s2 >>> 0];
}

function byteSwapped(w: number): number {
  return (w << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | (w >>> 24);
}
