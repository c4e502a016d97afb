// The bytes of the pages the page map's read hashed (page-read.ts), read again for the walk of
// their b-trees (btree-walk.ts) rather than kept in memory since the read: through the database
// descriptor never closed (held-descriptor.ts), overlaid with the WAL frames that read found, in
// aligned blocks of BLOCK_PAGES pages, each block hashed again with the read's seed. A page whose
// hash is not the read's gives nothing (the walk gives up, and dbstat walks its table): whatever
// was written since, in either journal mode, the bytes given are those the read hashed, which
// the read proves its transaction's (page-scope.ts), as far as the hash tells pages apart (the
// page map trusts it so already). The last block read is kept for the pages after it: checked
// when read, its bytes stay the read's whatever is written after.
import { closeSync, openSync, readSync } from 'node:fs';
import { pageHasher, PAGE_HASH_BYTES, type PageHasher } from './page-hash/page-hash.ts';

const BLOCK_PAGES = 64;

/** What the read saw: its pages' hashes and how it read them. */
export interface ReadPages {
  fd: number;
  walPath: string;
  /** Page number → offset of its image in the WAL, as the read found them. */
  walFrames: ReadonlyMap<number, number>;
  pageSize: number;
  pageCount: number;
  hashes: Buffer;
  seed: bigint;
}

/** Page index `p`'s bytes as the read hashed them, valid until the next call; undefined when they are not those now. */
export type Reread = (p: number) => Buffer | undefined;

export function rereader(read: ReadPages): Reread {
  const { pageSize, pageCount, hashes } = read;
  let hasher: PageHasher | undefined; // made at the first page asked for: most commits walk none
  let block = -1;
  const blockHashes = Buffer.alloc(BLOCK_PAGES * PAGE_HASH_BYTES);
  const readBlock = (b: number, input: Buffer): void => {
    const from = b * BLOCK_PAGES;
    const pages = Math.min(BLOCK_PAGES, pageCount - from);
    input.fill(0, readSync(read.fd, input, 0, pages * pageSize, from * pageSize), pages * pageSize); // beyond the file's end a reader sees zeros
    let wal: number | null = null;
    let walGone = false;
    try {
      for (let p = from; p < from + pages; p++) {
        const frame = read.walFrames.get(p + 1);
        if (frame === undefined) continue;
        if (wal === null && !walGone) walGone = (wal = openWal(read.walPath)) === null;
        const got = wal === null ? 0 : readSync(wal, input, (p - from) * pageSize, pageSize, frame);
        input.fill(0, (p - from) * pageSize + got, (p - from + 1) * pageSize); // a frame gone: its hash will not match
      }
    } finally {
      if (wal !== null) closeSync(wal);
    }
    hasher!.hashEach(pageSize, pages, blockHashes, 0);
  };
  return (p) => {
    if (p < 0 || p >= pageCount) return undefined;
    hasher ??= pageHasher(read.seed, BLOCK_PAGES * pageSize);
    const b = Math.floor(p / BLOCK_PAGES);
    if (b !== block) {
      block = -1;
      readBlock(b, hasher.input);
      block = b;
    }
    const i = p - b * BLOCK_PAGES;
    if (blockHashes.compare(hashes, p * PAGE_HASH_BYTES, (p + 1) * PAGE_HASH_BYTES, i * PAGE_HASH_BYTES, (i + 1) * PAGE_HASH_BYTES) !== 0) return undefined;
    return hasher.input.subarray(i * pageSize, (i + 1) * pageSize);
  };
}

/** The WAL file opened for reading (it carries no locks), or null when it is gone. */
function openWal(path: string): number | null {
  try {
    return openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
