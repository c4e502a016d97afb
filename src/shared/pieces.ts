// How large changes travel in bounded memory (src/changeset/pieces.ts cuts them): pieces of 1 MiB
// (SQLFERRY_PIECE_BYTES sets another size, for tests), and an entry larger than 8 pieces is sent,
// received and applied as a stream of pieces rather than held whole.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { passed } from './collect.ts';

export function pieceBytes(): number {
  const set = Number(process.env.SQLFERRY_PIECE_BYTES);
  return Number.isSafeInteger(set) && set > 0 ? set : 1 << 20;
}

/** The size above which an entry goes alone, as a stream: 8 pieces. */
export const streamedAbove = (): number => 8 * pieceBytes();

/** Whether an entry of `size` bytes goes alone, as a stream. */
export const streamed = (size: number): boolean => size > streamedAbove();

/** The chunks of `body`, counted (passed) as each is let go. */
export async function* metered<T extends Uint8Array>(body: AsyncIterable<T>): AsyncGenerator<T> {
  for await (const chunk of body) {
    yield chunk;
    passed(chunk.byteLength);
  }
}

/** The file's bytes, `size` at a time, read synchronously (an apply inside a transaction cannot wait). */
export function* fileChunks(path: string, size = pieceBytes()): Generator<Uint8Array> {
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const chunk = Buffer.allocUnsafe(size);
      const n = readSync(fd, chunk, 0, size, null);
      if (n === 0) return;
      yield chunk.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

/** The file's bytes, `size` at a time, in one buffer filled again for each: a chunk is gone once the next is read. */
export function* fileChunksInPlace(path: string, size = pieceBytes()): Generator<Uint8Array> {
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.allocUnsafe(size);
    for (;;) {
      const n = readSync(fd, chunk, 0, size, null);
      if (n === 0) return;
      yield chunk.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

/** A file's sha256 and size, read a piece at a time: a snapshot or an entry may exceed what one Buffer holds (2 GiB). */
export function fileChecksum(path: string): { sha256: string; size: number } {
  const hash = createHash('sha256');
  let size = 0;
  for (const chunk of fileChunksInPlace(path)) {
    hash.update(chunk);
    size += chunk.byteLength;
  }
  return { sha256: hash.digest('hex'), size };
}
