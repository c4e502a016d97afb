// The live database's pages as a reader sees them, hashed one by one, to tell which pages
// changed since the last commit (page-map.ts). What a reader sees is the main file overlaid
// with the WAL's committed frames: for each page, its frame in the WAL's last valid
// transaction that wrote it (wal-frames.ts), else the main file's copy.
//
// The bytes are read with fs, in a process that may hold SQLite connections to this very file
// (sqlferry's own, or an application's that embeds sqlferry). Closing any descriptor of a file
// drops every POSIX lock the process holds on it, so the database file is opened once per
// process and never closed. The -wal file carries no locks (readers and writers lock the -shm
// file and the database file), so it is read and closed as usual.
import { hash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { leafSpan, widenSpan } from './leaf-span.ts';
import { committedFrames, type WalFrames } from './wal-frames.ts';

/** Bytes of hash kept per page. */
export const HASH_BYTES = 16;

/** Pages hashed together first (1 MiB of 4 KiB pages): a chunk whose hash is unchanged needs no page hashed. */
export const CHUNK_PAGES = 256;

export interface PageImages {
  pageSize: number;
  pageCount: number;
  /** HASH_BYTES per page, page 1 first. */
  hashes: Buffer;
  /** HASH_BYTES per chunk of CHUNK_PAGES pages (the last one as long as the database). */
  chunkHashes: Buffer;
  /** Per page, the first and last rowid it holds if it is a table b-tree leaf (leaf-span.ts). */
  spans: BigInt64Array;
  /**
   * Pages the WAL's last transaction wrote. Its writer updates the wal-index only after
   * writing the frames, so a reader that started in between does not see them yet.
   */
  lastWritten: number[];
  /**
   * The header says rollback-journal mode and there is no WAL: then, read while a read
   * transaction holds its lock, no writer can have touched the file during the read.
   */
  rollbackMode: boolean;
  /** The inode read. */
  ino: string;
  /** Chunks of CHUNK_PAGES pages read (the others kept an earlier read's hashes, unread). */
  chunksRead: number;
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

/** Hashes from an earlier read, to reuse for every chunk whose bytes did not change. */
export interface EarlierHashes {
  pageSize: number;
  hashes: Buffer;
  chunkHashes: Buffer;
  spans: BigInt64Array;
}

/**
 * The pages a reader of `dbPath` sees, hashed; or why they cannot be read here. `sameMainFile`:
 * the caller proved the main file unchanged since `earlier` was read (in WAL mode a page
 * differs from then only if the WAL holds it): then only the chunks the WAL touches are read.
 */
export function readPageImages(dbPath: string, earlier: EarlierHashes | null = null, sameMainFile = false): PageImages | string {
  const fd = heldDescriptor(dbPath);
  const stat = fstatSync(fd, { bigint: true });
  const header = Buffer.alloc(100);
  if (readSync(fd, header, 0, 100, 0) < 100 || header.toString('latin1', 0, 16) !== 'SQLite format 3\u0000') return 'the database file has no SQLite header';
  const raw = header.readUInt16BE(16);
  const pageSize = raw === 1 ? 65536 : raw;
  const wal = committedFrames(dbPath + '-wal', pageSize);
  if (typeof wal === 'string') return wal;
  try {
    return hashed(fd, header, Number(stat.size), pageSize, wal, String(stat.ino), earlier?.pageSize === pageSize ? earlier : null, sameMainFile);
  } finally {
    if (wal.fd !== null) closeSync(wal.fd); // the WAL file carries no locks
  }
}

/**
 * With the main file as it was when `earlier` was read, a chunk differs only if the WAL holds
 * one of its pages now (a WAL restarted since was checkpointed whole first, which writes the main
 * file): the others keep earlier's hashes, unread, if they are whole and known there.
 */
function untouchedChunks(earlier: EarlierHashes | null, pageCount: number, wal: WalFrames): (c: number) => boolean {
  if (earlier === null) return () => false;
  const earlierPages = earlier.hashes.length / HASH_BYTES;
  const touched = new Set([...wal.frames.keys()].map((p) => Math.floor((p - 1) / CHUNK_PAGES)));
  const zero = Buffer.alloc(HASH_BYTES);
  return (c) => {
    const end = Math.min((c + 1) * CHUNK_PAGES, pageCount);
    const sameLength = end <= earlierPages && (end === (c + 1) * CHUNK_PAGES || pageCount === earlierPages);
    return sameLength && !touched.has(c) && earlier.chunkHashes.compare(zero, 0, HASH_BYTES, c * HASH_BYTES, (c + 1) * HASH_BYTES) !== 0;
  };
}

function hashed(fd: number, header: Buffer, fileSize: number, pageSize: number, wal: WalFrames, ino: string, earlier: EarlierHashes | null, sameMainFile: boolean): PageImages {
  const headerCountValid = header.readUInt32BE(92) === header.readUInt32BE(24) && header.readUInt32BE(28) > 0;
  const pageCount = wal.dbSize > 0 ? wal.dbSize : headerCountValid ? header.readUInt32BE(28) : Math.floor(fileSize / pageSize);
  const hashes = Buffer.alloc(pageCount * HASH_BYTES);
  const chunkHashes = Buffer.alloc(Math.ceil(pageCount / CHUNK_PAGES) * HASH_BYTES);
  const spans = new BigInt64Array(2 * pageCount);
  const chunk = Buffer.alloc(CHUNK_PAGES * pageSize);
  const rollbackMode = header[18] === 1 && header[19] === 1 && wal.empty;
  const unread = sameMainFile && !rollbackMode ? untouchedChunks(earlier, pageCount, wal) : () => false;
  let chunksRead = 0;
  for (let first = 1, c = 0; first <= pageCount; first += CHUNK_PAGES, c++) {
    const pages = Math.min(CHUNK_PAGES, pageCount - first + 1);
    if (unread(c)) {
      earlier!.chunkHashes.copy(chunkHashes, c * HASH_BYTES, c * HASH_BYTES, (c + 1) * HASH_BYTES);
      earlier!.hashes.copy(hashes, (first - 1) * HASH_BYTES, (first - 1) * HASH_BYTES, (first - 1 + pages) * HASH_BYTES);
      spans.set(earlier!.spans.subarray(2 * (first - 1), 2 * (first - 1 + pages)), 2 * (first - 1));
      continue;
    }
    chunksRead++;
    const got = readSync(fd, chunk, 0, pages * pageSize, (first - 1) * pageSize);
    chunk.fill(0, got, pages * pageSize); // beyond the file's end a reader sees zeros
    for (let page = first; page < first + pages; page++) {
      const frame = wal.frames.get(page);
      if (frame !== undefined) readSync(wal.fd!, chunk, (page - first) * pageSize, pageSize, frame);
    }
    // One hash per chunk first: where it matches the earlier read's, so does every page's.
    const at = c * HASH_BYTES;
    hash('sha256', chunk.subarray(0, pages * pageSize), 'buffer').copy(chunkHashes, at, 0, HASH_BYTES);
    const pagesAt = (first - 1) * HASH_BYTES;
    if (earlier !== null && at + HASH_BYTES <= earlier.chunkHashes.length && chunkHashes.compare(earlier.chunkHashes, at, at + HASH_BYTES, at, at + HASH_BYTES) === 0 && pagesAt + pages * HASH_BYTES <= earlier.hashes.length) {
      earlier.hashes.copy(hashes, pagesAt, pagesAt, pagesAt + pages * HASH_BYTES);
      spans.set(earlier.spans.subarray(2 * (first - 1), 2 * (first - 1 + pages)), 2 * (first - 1));
      continue;
    }
    for (let i = 0; i < pages; i++) {
      const page = chunk.subarray(i * pageSize, (i + 1) * pageSize);
      hash('sha256', page, 'buffer').copy(hashes, pagesAt + i * HASH_BYTES, 0, HASH_BYTES);
      leafSpan(page, first + i, spans, first - 1 + i);
    }
  }
  // A reader may not see the WAL's last transaction yet: its pages' spans also cover their image before it.
  const page = Buffer.alloc(pageSize);
  for (const [p, offset] of wal.before) {
    if (p > pageCount) continue;
    const got = offset === null ? readSync(fd, page, 0, pageSize, (p - 1) * pageSize) : readSync(wal.fd!, page, 0, pageSize, offset);
    page.fill(0, got);
    widenSpan(page, p, spans, p - 1);
  }
  return { pageSize, pageCount, hashes, chunkHashes, spans, lastWritten: wal.lastWritten, rollbackMode, ino, chunksRead };
}

