// The live database's pages as a reader sees them, hashed one by one (page-hash/), to tell
// which pages changed since the last commit (page-map.ts), what those that did link to kept for
// the walk of their b-trees. What a reader sees is the main file overlaid with the WAL's
// committed frames: for each page, its frame in the WAL's last valid
// transaction that wrote it (wal-frames.ts), else the main file's copy.
//
// The bytes are read with fs, in a process that may hold SQLite connections to this very file
// (sqlferry's own, or an application's that embeds sqlferry). Closing any descriptor of a file
// drops every POSIX lock the process holds on it, so the database file is opened once per
// process and never closed (held-descriptor.ts). The -wal file carries no locks (readers and writers lock the -shm
// file and the database file), so it is read and closed as usual.
import { closeSync, fstatSync, readSync, type BigIntStats } from 'node:fs';
import { tmpdir } from 'node:os';
import { PageLinkTable } from './btree-walk.ts';
import { heldDescriptor } from './held-descriptor.ts';
import { leafSpan, widenSpan } from './leaf-span.ts';
import { newSeed, PAGE_HASH_BYTES, pageHasher, PARSE_IN_JS } from './page-hash/page-hash.ts';
import { Patches, PatchedValues, type PageValues } from './page-values.ts';
import { SpilledValues } from './spilled-values.ts';
import { committedFrames, type WalFrames } from './wal-frames.ts';

/** Bytes of hash kept per page. */
export const HASH_BYTES = PAGE_HASH_BYTES;

/** Pages read and hashed in one go (1 MiB of 4 KiB pages). */
export const CHUNK_PAGES = 256;

/**
 * The links of changed pages are kept for the walk of their b-trees (btree-walk.ts) while they
 * are at most this many per page of the file: in a sound database every page but the first is
 * the child of one page only, so they stay below one per page. A cap on the pages kept instead
 * (1 GiB of 4 KiB pages) sent every larger init to dbstat, whose rows as objects took 330 bytes
 * a page (433 MB for a 2.2 GB database).
 */
const KEPT_CHILDREN_PER_PAGE = 2;

export interface PageImages {
  pageSize: number;
  pageCount: number;
  /**
   * Per page, its hash, and its rowid span and cells if it is a table b-tree leaf (leaf-span.ts;
   * of the image read): every page's without an earlier read; else the earlier read's patched
   * with the pages that differ from it and those of the WAL's last transaction.
   */
  values: SpilledValues | PatchedValues;
  /** The seed of the hashes (page-hash/page-hash.ts): only hashes of one seed compare. */
  seed: bigint;
  /** Reserved bytes at the end of each page (database header, offset 20). */
  reserved: number;
  /** Page index → links of each page whose hash differs from the earlier read's, every page without one (btree-walk.ts); null when too many. */
  changed: PageLinkTable | null;
  /** The index of each page whose hash differs from the earlier read's, ascending (none listed without one: every page differs). */
  differing: number[];
  /**
   * Pages the WAL's last transaction wrote. Its writer updates the wal-index only after
   * writing the frames, so a reader that started in between does not see them yet.
   */
  lastWritten: number[];
  /** Where the WAL's last transaction ends (wal-frames.ts); null without one. */
  walEnd: { frames: number; salt: string } | null;
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

/** An earlier read's values (zero hashes for a page not known), compared with and patched: its seed hashes this read. */
export interface EarlierHashes {
  pageSize: number;
  values: PageValues;
  seed: bigint;
}

/**
 * The pages a reader of `dbPath` sees, hashed; or why they cannot be read here. `sameMainFile`:
 * the caller proved the main file unchanged since `earlier` was read (in WAL mode a page
 * differs from then only if the WAL holds it): then only the chunks the WAL touches are read.
 */
export function readPageImages(dbPath: string, earlier: EarlierHashes | null = null, sameMainFile = false, spillDir = tmpdir()): PageImages | string {
  const opened = openPages(dbPath);
  if (typeof opened === 'string') return opened;
  const { fd, stat, header, pageSize, wal } = opened;
  try {
    return hashed(fd, header, Number(stat.size), pageSize, wal, String(stat.ino), earlier?.pageSize === pageSize ? earlier : null, sameMainFile, spillDir);
  } finally {
    if (wal.fd !== null) closeSync(wal.fd); // the WAL file carries no locks
  }
}

/**
 * The live database as a reader sees it: its file (stated first, then its header read) and its
 * WAL's committed frames; or why not. `reuseWalScan`: see committedFrames.
 */
export function openPages(dbPath: string, reuseWalScan = false): { fd: number; stat: BigIntStats; header: Buffer; pageSize: number; wal: WalFrames } | string {
  const fd = heldDescriptor(dbPath);
  const stat = fstatSync(fd, { bigint: true });
  const header = Buffer.alloc(100);
  if (readSync(fd, header, 0, 100, 0) < 100 || header.toString('latin1', 0, 16) !== 'SQLite format 3\u0000') return 'the database file has no SQLite header';
  const raw = header.readUInt16BE(16);
  const pageSize = raw === 1 ? 65536 : raw;
  const wal = committedFrames(dbPath + '-wal', pageSize, reuseWalScan);
  if (typeof wal === 'string') return wal;
  return { fd, stat, header, pageSize, wal };
}

/**
 * With the main file as it was when `earlier` was read, a chunk differs only if the WAL holds
 * one of its pages now (a WAL restarted since was checkpointed whole first, which writes the main
 * file): the others keep earlier's hashes, unread, if they are whole and known there.
 */
function untouchedChunks(earlierPages: number, pageCount: number, wal: WalFrames): (c: number, earlierHashes: Buffer) => boolean {
  const touched = new Set<number>();
  wal.frames.forEachPage((p) => touched.add(Math.floor((p - 1) / CHUNK_PAGES)));
  return (c, earlierHashes) => {
    const end = Math.min((c + 1) * CHUNK_PAGES, pageCount);
    const sameLength = end <= earlierPages && (end === (c + 1) * CHUNK_PAGES || pageCount === earlierPages);
    return sameLength && !touched.has(c) && allKnown(earlierHashes, end - c * CHUNK_PAGES);
  };
}

/** None of the first `pages` hashes is the zero hash of a page not known. */
function allKnown(hashes: Buffer, pages: number): boolean {
  for (let at = 0; at < pages * HASH_BYTES; at += HASH_BYTES) if (hashes.readBigUInt64LE(at) === 0n && hashes.readBigUInt64LE(at + 8) === 0n) return false;
  return true;
}

function hashed(fd: number, header: Buffer, fileSize: number, pageSize: number, wal: WalFrames, ino: string, earlier: EarlierHashes | null, sameMainFile: boolean, spillDir: string): PageImages {
  const headerCountValid = header.readUInt32BE(92) === header.readUInt32BE(24) && header.readUInt32BE(28) > 0;
  const pageCount = wal.dbSize > 0 ? wal.dbSize : headerCountValid ? header.readUInt32BE(28) : Math.floor(fileSize / pageSize);
  const hasher = pageHasher(earlier?.seed ?? newSeed(), CHUNK_PAGES * pageSize, pageSize);
  const { span: parsedSpan, words: parsed } = hasher.parsed;
  const chunk = hasher.input; // read straight into the hash kernel's memory
  const rollbackMode = header[18] === 1 && header[19] === 1 && wal.empty;
  const earlierPages = earlier === null ? 0 : earlier.values.pageCount;
  const unread = sameMainFile && !rollbackMode && earlier !== null ? untouchedChunks(earlierPages, pageCount, wal) : () => false;
  // Without an earlier read, every page's values, written to a scratch file as read; with one, the pages that differ from it.
  const spilled = earlier === null ? new SpilledValues(spillDir, pageCount) : null;
  const patches = new Patches();
  const [chunkHashes, earlierHashes] = [Buffer.alloc(CHUNK_PAGES * HASH_BYTES), Buffer.alloc(CHUNK_PAGES * HASH_BYTES)];
  const [span, cellsRead] = [new BigInt64Array(2), new Uint16Array(1)];
  // A first read keeps every page's links, one child a page: room for them from the start, not grown by doubling.
  let changed: PageLinkTable | null = earlier === null ? new PageLinkTable(pageCount, pageCount, true) : new PageLinkTable(pageCount);
  const usable = pageSize - header[20]!;
  const differing: number[] = [];
  let chunksRead = 0;
  let walRuns: WalRuns | null | undefined;
  for (let first = 1, c = 0; first <= pageCount; first += CHUNK_PAGES, c++) {
    const pages = Math.min(CHUNK_PAGES, pageCount - first + 1);
    const [from, to] = [first - 1, first - 1 + pages]; // page indexes
    const known = Math.min(to, earlierPages); // pages from..known have earlier hashes
    if (known > from) earlier!.values.hashesInto(from, known, earlierHashes);
    if (unread(c, earlierHashes)) continue;
    chunksRead++;
    const got = readSync(fd, chunk, 0, pages * pageSize, from * pageSize);
    chunk.fill(0, got, pages * pageSize); // beyond the file's end a reader sees zeros
    walRuns ??= wal.frames.size === 0 ? null : new WalRuns(wal, pageSize);
    walRuns?.readInto(chunk, first, pages);
    const hashes = spilled === null ? chunkHashes : spilled.hashesFor(from, to);
    hasher.hashEach(pageSize, pages, hashes, 0);
    // A page whose hash is the earlier read's has its span: only the others are parsed.
    if (known === to && hashes.compare(earlierHashes, 0, pages * HASH_BYTES, 0, pages * HASH_BYTES) === 0) continue;
    for (let i = from; i < to; i++) {
      if (i >= known || !sameHash(hashes, earlierHashes, i - from)) {
        // Parsed by the hash kernel where it lies (page-hash/page-parse.c); by leaf-span.ts and btree-walk.ts when it says so.
        hasher.parsePage((i - from) * pageSize, pageSize, usable, i + 1);
        const inJs = parsed[4] === PARSE_IN_JS;
        const page = inJs ? chunk.subarray((i - from) * pageSize, (i - from + 1) * pageSize) : null;
        if (page !== null) leafSpan(page, i + 1, span, cellsRead, 0);
        else {
          span.set(parsedSpan);
          cellsRead[0] = parsed[0]!;
        }
        if (spilled !== null) spilled.put(i, span, cellsRead[0]!);
        else {
          patches.add(i, true, hashes, (i - from) * HASH_BYTES, span[0]!, span[1]!, cellsRead[0]!);
          differing.push(i);
        }
        if (changed === null || changed.children > KEPT_CHILDREN_PER_PAGE * pageCount) changed = null;
        else if (page !== null) changed.add(page, i, usable);
        else changed.addParsed(i, parsed);
      }
    }
  }
  const values = spilled ?? new PatchedValues(earlier!.values, pageCount, withLastWritten(patches, earlier!.values, wal.lastWritten, pageCount));
  // A reader may not see the WAL's last transaction yet: its pages' spans also cover their image before it.
  const page = Buffer.alloc(pageSize);
  for (let i = 0; i < wal.lastWritten.length; i++) {
    const p = wal.lastWritten[i]!;
    if (p > pageCount) continue;
    const offset = wal.before[i]!;
    const got = offset < 0 ? readSync(fd, page, 0, pageSize, (p - 1) * pageSize) : readSync(wal.fd!, page, 0, pageSize, offset);
    page.fill(0, got);
    if (values instanceof SpilledValues) values.widen(page, p - 1);
    else widenSpan(page, p, values.patches.spans, values.patches.slotOf(p - 1));
  }
  return { pageSize, pageCount, values, seed: hasher.seed, reserved: header[20]!, changed, differing, lastWritten: wal.lastWritten, walEnd: wal.end, rollbackMode, ino, chunksRead };
}

/** `patches` and the earlier values of each page of the WAL's last transaction they lack (its span is widened, and it may be forgotten: page-map.ts). */
function withLastWritten(patches: Patches, earlier: PageValues, lastWritten: readonly number[], pageCount: number): Patches {
  const missing = [...new Set(lastWritten.map((p) => p - 1))].filter((p) => p < pageCount && patches.slotOf(p) < 0).sort((a, b) => a - b);
  if (missing.length === 0) return patches;
  const more = new Patches();
  const [hash, span] = [Buffer.alloc(HASH_BYTES), new BigInt64Array(2)];
  for (const p of missing) { // not differing, so within the earlier read
    earlier.hashesInto(p, p + 1, hash);
    earlier.spansInto(p, p + 1, span);
    more.add(p, false, hash, 0, span[0]!, span[1]!, earlier.cellsOf(p));
  }
  return patches.merged(more);
}

/**
 * The WAL's images of a chunk's pages, written over the main file's: pages whose frames follow
 * each other in the WAL (a bulk load held there: every page) are read together, one read a run
 * instead of one a page, then each image is copied out from between the frames' headers.
 */
class WalRuns {
  private readonly wal: WalFrames;
  private readonly pageSize: number;
  private scratch: Buffer | undefined;

  constructor(wal: WalFrames, pageSize: number) {
    this.wal = wal;
    this.pageSize = pageSize;
  }

  readInto(chunk: Buffer, first: number, pages: number): void {
    const { pageSize, wal } = this;
    const frameSize = 24 + pageSize;
    for (let page = first; page < first + pages; ) {
      const frame = wal.frames.get(page);
      if (frame === undefined) {
        page++;
        continue;
      }
      let run = 1;
      while (page + run < first + pages && wal.frames.get(page + run) === frame + run * frameSize) run++;
      if (run === 1) {
        chunk.fill(0, (page - first) * pageSize + readSync(wal.fd!, chunk, (page - first) * pageSize, pageSize, frame), (page - first + 1) * pageSize);
      } else {
        const scratch = (this.scratch ??= Buffer.alloc(CHUNK_PAGES * frameSize));
        const length = run * frameSize - 24;
        scratch.fill(0, readSync(wal.fd!, scratch, 0, length, frame), length);
        for (let k = 0; k < run; k++) scratch.copy(chunk, (page + k - first) * pageSize, k * frameSize, k * frameSize + pageSize);
      }
      page += run;
    }
  }
}

/** Hash `i` is the same in both, compared byte by byte: a call of Buffer.compare per page cost more (17,800 pages: ≈ 19 ms). */
function sameHash(a: Buffer, b: Buffer, i: number): boolean {
  for (let at = i * HASH_BYTES; at < (i + 1) * HASH_BYTES; at++) if (a[at] !== b[at]) return false;
  return true;
}
