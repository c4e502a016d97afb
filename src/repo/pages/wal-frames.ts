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
  frames: Map<number, number>;
  /** The database size in pages after the last committed transaction; 0 when there is none. */
  dbSize: number;
  /** Pages the last committed transaction wrote. */
  lastWritten: number[];
  /** Frames up to the last committed one, and the WAL header's salts (hex): what the WAL-index header says when it is published (wal-index.ts). */
  end: { frames: number; salt: string } | null;
  /** For each of those, where its image before that transaction lies: an earlier frame's offset, or null (the main file). */
  before: Map<number, number | null>;
  /** The WAL file is absent or empty. */
  empty: boolean;
}

type Found = Omit<WalFrames, 'fd' | 'empty'>;
const none = (): Found => ({ frames: new Map(), dbSize: 0, lastWritten: [], before: new Map(), end: null });

/** The committed frames of `walPath`, or why they cannot be trusted. */
export function committedFrames(walPath: string, pageSize: number): WalFrames | string {
  let fd: number;
  try {
    if (statSync(walPath, { throwIfNoEntry: false }) === undefined) return { ...none(), fd: null, empty: true }; // cheaper than a failed open
    fd = openSync(walPath, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ...none(), fd: null, empty: true };
    throw err;
  }
  try {
    const empty = fstatSync(fd).size === 0;
    const found = scan(fd, pageSize);
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

function scan(fd: number, pageSize: number): Found | string {
  const header = Buffer.alloc(32);
  if (readSync(fd, header, 0, 32, 0) < 32) return none(); // no header yet: no frames
  const magic = header.readUInt32BE(0);
  if ((magic & 0xfffffffe) !== 0x377f0682 || header.readUInt32BE(4) !== 3007000) return 'the WAL file has an unknown header';
  const bigEndian = (magic & 1) === 1;
  let sum = checksum(header, 0, 24, bigEndian, [0, 0]);
  if (sum[0] !== header.readUInt32BE(24) || sum[1] !== header.readUInt32BE(28)) return none(); // a header being rewritten: nothing valid after it
  if (header.readUInt32BE(8) !== pageSize) return 'the WAL file has another page size than the database';
  const frameSize = 24 + pageSize;
  const perChunk = Math.max(1, Math.floor((4 << 20) / frameSize));
  const chunk = Buffer.alloc(perChunk * frameSize);
  const out = none();
  let pending = new Map<number, number>();
  for (let start = 32; ; start += perChunk * frameSize) {
    const got = readSync(fd, chunk, 0, chunk.length, start);
    for (let at = 0; at + frameSize <= got; at += frameSize) {
      const page = chunk.readUInt32BE(at);
      if (page === 0 || !chunk.subarray(at + 8, at + 16).equals(header.subarray(16, 24))) return out;
      sum = checksum(chunk, at + 24, pageSize, bigEndian, checksum(chunk, at, 8, bigEndian, sum));
      if (sum[0] !== chunk.readUInt32BE(at + 16) || sum[1] !== chunk.readUInt32BE(at + 20)) return out;
      pending.set(page, start + at + 24);
      const dbSize = chunk.readUInt32BE(at + 4);
      if (dbSize === 0) continue; // not the last frame of a transaction
      out.before = new Map([...pending.keys()].map((p) => [p, out.frames.get(p) ?? null]));
      for (const [p, offset] of pending) out.frames.set(p, offset);
      out.dbSize = dbSize;
      out.lastWritten = [...pending.keys()];
      out.end = { frames: (start + at - 32) / frameSize + 1, salt: header.toString('hex', 16, 24) };
      pending = new Map();
    }
    if (got < chunk.length) return out;
  }
}

/** SQLite's WAL checksum over 32-bit words read in the WAL's byte order, continuing from `from`. */
function checksum(bytes: Buffer, start: number, length: number, bigEndian: boolean, from: [number, number]): [number, number] {
  let [s1, s2] = from;
  for (let i = start; i < start + length; i += 8) {
    const a = bigEndian ? bytes.readUInt32BE(i) : bytes.readUInt32LE(i);
    const b = bigEndian ? bytes.readUInt32BE(i + 4) : bytes.readUInt32LE(i + 4);
    s1 = (s1 + a + s2) >>> 0;
    s2 = (s2 + b + s1) >>> 0;
  }
  return [s1, s2];
}
