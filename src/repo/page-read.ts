// The live database's pages as a reader sees them, hashed one by one, to tell which pages
// changed since the last commit (page-map.ts). What a reader sees is the main file overlaid
// with the WAL's committed frames: for each page, its frame in the WAL's last valid
// transaction that wrote it, else the main file's copy (the WAL format, sqlite.org/fileformat2.html).
//
// The bytes are read with fs, in a process that may hold SQLite connections to this very file
// (sqlferry's own, or an application's that embeds sqlferry). Closing any descriptor of a file
// drops every POSIX lock the process holds on it, so the database file is opened once per
// process and never closed. The -wal file carries no locks (readers and writers lock the -shm
// file and the database file), so it is read and closed as usual.
import { hash } from 'node:crypto';
import { fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';

/** Bytes of hash kept per page. */
export const HASH_BYTES = 16;

export interface PageImages {
  pageSize: number;
  pageCount: number;
  /** HASH_BYTES per page, page 1 first. */
  hashes: Buffer;
  /**
   * Pages the WAL's last transaction wrote. Its writer updates the wal-index only after
   * writing the frames, so a reader that started in between does not see them yet.
   */
  lastWritten: number[];
  /**
   * The header says rollback-journal mode and the WAL holds no frame: then, read while a read
   * transaction holds its lock, no writer can have touched the file during the read.
   */
  rollbackMode: boolean;
  /** The inode read. */
  ino: string;
}

const held = new Map<string, number>();

/** A descriptor of the file now at `path`, opened once per process and file, never closed. */
function heldDescriptor(path: string): number {
  const ino = statSync(path, { bigint: true }).ino;
  const fd = held.get(path);
  if (fd !== undefined && fstatSync(fd, { bigint: true }).ino === ino) return fd;
  const opened = openSync(path, 'r'); // the old one stays open: closing it could drop locks
  held.set(path, opened);
  return opened;
}

/** The pages a reader of `dbPath` sees, hashed; or why they cannot be read here. */
export function readPageImages(dbPath: string): PageImages | string {
  const fd = heldDescriptor(dbPath);
  const stat = fstatSync(fd, { bigint: true });
  const fileSize = Number(stat.size);
  const header = Buffer.alloc(100);
  if (readSync(fd, header, 0, 100, 0) < 100 || header.toString('latin1', 0, 16) !== 'SQLite format 3\u0000') return 'the database file has no SQLite header';
  const raw = header.readUInt16BE(16);
  const pageSize = raw === 1 ? 65536 : raw;
  const wal = committedFrames(dbPath + '-wal', pageSize);
  if (typeof wal === 'string') return wal;
  const headerCountValid = header.readUInt32BE(92) === header.readUInt32BE(24) && header.readUInt32BE(28) > 0;
  const pageCount = wal.dbSize > 0 ? wal.dbSize : headerCountValid ? header.readUInt32BE(28) : Math.floor(fileSize / pageSize);
  const hashes = Buffer.alloc(pageCount * HASH_BYTES);
  const chunkPages = Math.max(1, Math.floor((4 << 20) / pageSize));
  const chunk = Buffer.alloc(chunkPages * pageSize);
  for (let first = 1; first <= pageCount; first += chunkPages) {
    const pages = Math.min(chunkPages, pageCount - first + 1);
    const got = readSync(fd, chunk, 0, pages * pageSize, (first - 1) * pageSize);
    chunk.fill(0, got, pages * pageSize); // beyond the file's end a reader sees zeros
    for (let i = 0; i < pages; i++) {
      const page = first + i;
      const frame = wal.frames.get(page);
      const image = frame !== undefined ? wal.bytes.subarray(frame, frame + pageSize) : chunk.subarray(i * pageSize, (i + 1) * pageSize);
      hash('sha256', image, 'buffer').copy(hashes, (page - 1) * HASH_BYTES, 0, HASH_BYTES);
    }
  }
  const rollbackMode = header[18] === 1 && header[19] === 1 && wal.bytes.length === 0;
  return { pageSize, pageCount, hashes, lastWritten: wal.lastWritten, rollbackMode, ino: String(stat.ino) };
}

interface WalFrames {
  bytes: Buffer;
  /** Page number → offset of its newest committed image in `bytes`. */
  frames: Map<number, number>;
  /** The database size in pages after the last committed transaction; 0 when there is none. */
  dbSize: number;
  lastWritten: number[];
}

/** The WAL's committed frames: those before the first frame that fails its salt or checksum. */
function committedFrames(walPath: string, pageSize: number): WalFrames | string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(walPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { bytes: Buffer.alloc(0), frames: new Map(), dbSize: 0, lastWritten: [] };
    throw err;
  }
  const none: WalFrames = { bytes, frames: new Map(), dbSize: 0, lastWritten: [] };
  if (bytes.length < 32) return none; // no header yet: no frames
  const magic = bytes.readUInt32BE(0);
  if ((magic & 0xfffffffe) !== 0x377f0682 || bytes.readUInt32BE(4) !== 3007000) return 'the WAL file has an unknown header';
  const bigEndian = (magic & 1) === 1;
  let sum = checksum(bytes, 0, 24, bigEndian, [0, 0]);
  if (sum[0] !== bytes.readUInt32BE(24) || sum[1] !== bytes.readUInt32BE(28)) return none; // a header being rewritten: nothing valid after it
  if (bytes.readUInt32BE(8) !== pageSize) return 'the WAL file has another page size than the database';
  const frameSize = 24 + pageSize;
  const out: WalFrames = none;
  let pending = new Map<number, number>();
  for (let at = 32; at + frameSize <= bytes.length; at += frameSize) {
    const page = bytes.readUInt32BE(at);
    if (page === 0 || !bytes.subarray(at + 8, at + 16).equals(bytes.subarray(16, 24))) break;
    sum = checksum(bytes, at + 24, pageSize, bigEndian, checksum(bytes, at, 8, bigEndian, sum));
    if (sum[0] !== bytes.readUInt32BE(at + 16) || sum[1] !== bytes.readUInt32BE(at + 20)) break;
    pending.set(page, at + 24);
    const dbSize = bytes.readUInt32BE(at + 4);
    if (dbSize === 0) continue; // not a commit frame
    for (const [p, offset] of pending) out.frames.set(p, offset);
    out.dbSize = dbSize;
    out.lastWritten = [...pending.keys()];
    pending = new Map();
  }
  return out;
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
