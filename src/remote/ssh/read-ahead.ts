// A file's bytes over SFTP with several reads in flight: SFTP answers one request at a time, so
// one read after another waits a round trip per piece (ssh2's ReadStream asks for the next piece
// only once the last one arrived). The metadata's size says where the file should end; one read
// past it confirms the end (a longer file is read on until the reader stops: the folder engine
// stops one byte past the size, enough for the checksum that follows to see it).
import type { SFTPWrapper } from 'ssh2';
import { passed } from '../../shared/collect.ts';

/** Bytes asked per read: one SFTP request to OpenSSH (answers up to 256 KiB; ssh2 splits a larger read into requests one after another). */
const PIECE = 64 * 1024;
/** Reads in flight: 1 MiB, half the SSH channel's window, so the server never waits for it. */
const AHEAD = 16;
/**
 * Buffers of each byte read that ssh2 lets go besides the chunk itself (the decrypted packet,
 * the SFTP answer put together from packets): counted, so that a CLI's collections
 * (shared/collect.ts) keep pace with them. Without it a pull of a 242 MiB entry peaked ~15 MB higher.
 */
const COPIES = 2;

interface Read {
  at: number;
  len: number;
  got: Promise<Buffer>;
}

function readAt(sftp: SFTPWrapper, handle: Buffer, at: number, len: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    sftp.read(handle, Buffer.allocUnsafe(len), 0, len, at, (err, nb, data) => (err ? reject(err) : resolve(data.subarray(0, nb)))));
}

/** The bytes of `path`, in order, `AHEAD` reads ahead of the consumer; `size` is where it should end. */
export async function* readAhead(sftp: SFTPWrapper, path: string, size: number): AsyncGenerator<Uint8Array> {
  const handle = await new Promise<Buffer>((resolve, reject) => sftp.open(path, 'r', (err, h) => (err ? reject(err) : resolve(h))));
  const reads: Read[] = [];
  let next = 0;
  const probing = () => next >= size && reads.some((r) => r.at >= size);
  try {
    for (;;) {
      while (reads.length < AHEAD && !probing()) {
        const len = next < size ? Math.min(PIECE, size - next) : PIECE;
        const got = readAt(sftp, handle, next, len);
        got.catch(() => {}); // awaited in turn; one failing ahead of its turn must not go unhandled
        reads.push({ at: next, len, got });
        next += len;
      }
      const read = reads.shift()!;
      let got = await read.got;
      if (got.length === 0) return; // the end of the file
      yield got;
      passed(COPIES * got.length);
      // A server may answer with less than asked: the rest of that range comes before what follows.
      for (let at = read.at + got.length; at < read.at + read.len; at += got.length) {
        got = await readAt(sftp, handle, at, read.at + read.len - at);
        if (got.length === 0) return;
        yield got;
        passed(COPIES * got.length);
      }
    }
  } finally {
    // Not awaited: after a dropped connection the answer never comes.
    try {
      sftp.close(handle, () => {});
    } catch {} // the channel is gone, and the handle with it
  }
}
