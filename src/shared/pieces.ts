// How large changes travel in bounded memory (src/changeset/pieces.ts cuts them): pieces of 1 MiB
// (SQLFERRY_PIECE_BYTES sets another size, for tests), and an entry larger than 8 pieces is sent,
// received and applied as a stream of pieces rather than held whole.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export function pieceBytes(): number {
  const set = Number(process.env.SQLFERRY_PIECE_BYTES);
  return Number.isSafeInteger(set) && set > 0 ? set : 1 << 20;
}

/** Whether an entry of `size` bytes goes alone, as a stream: above STREAM_BYTES, 8 pieces. */
export const streamed = (size: number): boolean => size > 8 * pieceBytes();

const COLLECT_EVERY = 4 * 2 ** 20;
let since = 0;
let gc: (() => void) | undefined;

/**
 * V8 frees buffers that are garbage only when their total has grown by about 64 MB since its
 * last collection; chunks and pieces passed through at a stream's speed would hold that much for
 * nothing. Every stream of a large entry or snapshot counts what passes here, and the process
 * collects every 4 MiB of it: memory holds the pieces in hand, not the ones gone by.
 */
export function passed(bytes: number): void {
  since += bytes;
  if (since < COLLECT_EVERY) return;
  since = 0;
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

/** The chunks of `body`, counted (passed) as each is let go. */
export async function* metered<T extends Uint8Array>(body: AsyncIterable<T>): AsyncGenerator<T> {
  for await (const chunk of body) {
    yield chunk;
    passed(chunk.byteLength);
  }
}
