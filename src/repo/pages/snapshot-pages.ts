// The live database's pages as this process's open read transaction sees them, one at a time,
// for a walk of one table's b-tree (appended-records.ts): the main file overlaid with the WAL's
// committed frames (wal-frames.ts), read through the descriptor never closed
// (held-descriptor.ts: closing one would drop SQLite's locks). The main file is read in
// aligned blocks of BLOCK_PAGES pages, so a table whose pages follow each other in the file (a
// bulk load's) costs one read per block, not per page; the WAL in runs of BLOCK_PAGES frames from
// the one asked for (a bulk load held in the WAL has its pages there one after the other).
//
// Whether these are the transaction's pages is the caller's to prove, after the walk
// (snapshotStillRead): in rollback mode the transaction's lock keeps every writer off the file;
// in WAL mode the files must stat as before the transaction began (page-scope.ts gives the
// same argument for the page map's read).
import { closeSync, readSync } from 'node:fs';
import { clockPastWrites, statLive, unchangedSinceStamp, type Stamp } from './fingerprint.ts';
import { openPages } from './page-read.ts';
import type { SidecarPaths } from '../sidecar.ts';
import type { WalFrames } from './wal-frames.ts';

const BLOCK_PAGES = 64;

export class SnapshotPages {
  readonly pageSize: number;
  /** Usable bytes per page: the page size less the reserved bytes (database header, offset 20). */
  readonly usable: number;
  readonly pageCount: number;
  /** The header says rollback-journal mode and no WAL holds a page. */
  readonly rollbackMode: boolean;
  /** The database header's text encoding: 1 is UTF-8. */
  readonly textEncoding: number;
  /** The inode read. */
  readonly ino: string;
  private readonly fd: number;
  private readonly wal: WalFrames;
  private readonly block: Buffer;
  private blockIndex = -1;
  /** Frames of the WAL read together (a bulk load's follow each other there), and the offset of the first. */
  private readonly walBlock: Buffer;
  private walBlockAt = -1;
  private walBlockEnd = -1;
  /** Where the page last asked for lies: the block or the WAL's block, and its offset there. */
  private loaded: Buffer;
  private loadedAt = 0;

  private constructor(fd: number, ino: string, header: Buffer, wal: WalFrames, pageSize: number, pageCount: number) {
    this.fd = fd;
    this.ino = ino;
    this.wal = wal;
    this.pageSize = pageSize;
    this.usable = pageSize - header[20]!;
    this.pageCount = pageCount;
    this.rollbackMode = header[18] === 1 && header[19] === 1 && wal.frames.size === 0;
    this.block = Buffer.alloc(BLOCK_PAGES * pageSize);
    this.walBlock = Buffer.alloc(wal.frames.size === 0 ? 0 : BLOCK_PAGES * (24 + pageSize));
    this.loaded = this.block;
    this.textEncoding = this.page(1).readUInt32BE(56);
  }

  /** The pages of the database at `dbPath`, or why they cannot be read. Close when done. */
  static open(dbPath: string): SnapshotPages | string {
    const opened = openPages(dbPath, true); // the page map's scan of the WAL, if the file is the same: snapshotStillRead proves the pages after the walk
    if (typeof opened === 'string') return opened;
    const { fd, stat, header, pageSize, wal } = opened;
    const countValid = header.readUInt32BE(92) === header.readUInt32BE(24) && header.readUInt32BE(28) > 0;
    const pageCount = wal.dbSize > 0 ? wal.dbSize : countValid ? header.readUInt32BE(28) : 0;
    if (pageCount === 0) {
      if (wal.fd !== null) closeSync(wal.fd);
      return 'the database header does not say how many pages it has';
    }
    return new SnapshotPages(fd, String(stat.ino), header, wal, pageSize, pageCount);
  }

  /** Page `p` (1-based), valid until the next call. */
  page(p: number): Buffer {
    this.load(p);
    return this.loaded.subarray(this.loadedAt, this.loadedAt + this.pageSize);
  }

  /** Page `p`'s first byte (a b-tree page's type), without a view of the page. */
  firstByte(p: number): number {
    this.load(p);
    return this.loaded[this.loadedAt]!;
  }

  /** Page `p` copied to the start of `target`, without a view of the page (a bulk load's walk copies 54,000 leaves). */
  copyPage(p: number, target: Uint8Array): void {
    this.load(p);
    this.loaded.copy(target, 0, this.loadedAt, this.loadedAt + this.pageSize);
  }

  /** Page `p` read if not already: it is in `loaded` at `loadedAt`. */
  private load(p: number): void {
    const frame = this.wal.frames.get(p);
    if (frame !== undefined) {
      if (frame < this.walBlockAt || frame + this.pageSize > this.walBlockEnd) {
        this.walBlockAt = -1;
        const got = readSync(this.wal.fd!, this.walBlock, 0, this.walBlock.length, frame);
        if (got < this.pageSize) this.walBlock.fill(0, got, this.pageSize); // a WAL cut short (not expected: the scan read this frame whole)
        [this.walBlockAt, this.walBlockEnd] = [frame, frame + Math.max(got, this.pageSize)];
      }
      this.loaded = this.walBlock;
      this.loadedAt = frame - this.walBlockAt;
      return;
    }
    const index = Math.floor((p - 1) / BLOCK_PAGES);
    if (index !== this.blockIndex) {
      this.blockIndex = -1;
      this.block.fill(0, readSync(this.fd, this.block, 0, this.block.length, index * this.block.length)); // beyond the file's end a reader sees zeros
      this.blockIndex = index;
    }
    this.loaded = this.block;
    this.loadedAt = ((p - 1) % BLOCK_PAGES) * this.pageSize;
  }

  /** Where the WAL's last committed transaction ends, or null without one. */
  get walEnd(): WalFrames['end'] {
    return this.wal.end;
  }

  close(): void {
    if (this.wal.fd !== null) closeSync(this.wal.fd); // the WAL file carries no locks
  }
}

/**
 * After the walk, inside the same read transaction: whether the pages read were the
 * transaction's own, else why not. `before`: the live files' stamp taken past a clock tick
 * before the transaction began (fingerprint.ts takeStampPastTick).
 */
export function snapshotStillRead(paths: SidecarPaths, before: Stamp | undefined, pages: SnapshotPages, sqlitePageCount: number): string | null {
  if (sqlitePageCount !== pages.pageCount) return `SQLite reads ${sqlitePageCount} pages, the files hold ${pages.pageCount}`;
  if (pages.rollbackMode) {
    // The read lock keeps writers off the file; a file replaced under its name is another one.
    return pages.ino === statLive(paths).db.ino && (before === undefined || before.db.ino === pages.ino) ? null : 'the database file was replaced';
  }
  if (before === undefined) return 'a WAL is read only against a stamp taken before the read';
  if (!clockPastWrites(before)) return 'the filesystem clock did not move past the last write';
  if (!unchangedSinceStamp(paths, before)) return 'the database was written while its pages were read';
  // A writer publishes its transaction to readers after writing its frames: one written but not
  // yet published when the read began is in the WAL read, not in the transaction.
  const end = pages.walEnd;
  const published = before.published;
  if (end !== null && (published == null || published.salt !== end.salt || published.frames !== end.frames)) return "the WAL's last transaction may not be in this read";
  return null;
}
