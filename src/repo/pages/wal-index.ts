// How far the WAL's transactions were published to readers, from the WAL-index header at the
// start of the -shm file (sqlite.org/walformat.html#the_wal_index_header, in the machine's
// byte order): the index of the last frame of the last published transaction (mxFrame), and
// the WAL's salts it belongs to. A writer appends a transaction's frames to the WAL first and
// updates this header after, so a reader that began before then does not see the WAL's last
// transaction; one that began after it was published does (its snapshot is the header it read).
// Read with fs while this process may hold SQLite's locks on the -shm file: through a
// descriptor never closed (held-descriptor.ts).
import { endianness } from 'node:os';
import { readSync } from 'node:fs';
import { heldDescriptor } from './held-descriptor.ts';

export interface WalEnd {
  /** Frames of the WAL up to the last published transaction's last one. */
  frames: number;
  /** The WAL header's salts (its bytes 16 to 23) this count is of, hex. */
  salt: string;
}

const HEADER = 48;

/** The published end of the WAL of the database at `dbPath`, or null when not known (no -shm, a header being written…). */
export function publishedWalEnd(dbPath: string): WalEnd | null {
  try {
    const bytes = Buffer.alloc(2 * HEADER);
    if (readSync(heldDescriptor(dbPath + '-shm'), bytes, 0, 2 * HEADER, 0) < 2 * HEADER) return null;
    const u32 = (at: number) => (endianness() === 'LE' ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at));
    // The header is written as two copies, the second first: equal copies are a header not being changed.
    if (u32(0) !== 3007000 || bytes[12] !== 1 || !bytes.subarray(0, HEADER).equals(bytes.subarray(HEADER))) return null;
    return { frames: u32(16), salt: bytes.toString('hex', 32, 40) };
  } catch {
    return null;
  }
}
