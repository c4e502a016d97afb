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

const COLLECT_EVERY = 8 * 2 ** 20;
let gc: (() => void) | undefined;

/**
 * V8 frees buffers that are garbage only when their total has grown by about 64 MB since its
 * last collection; pieces passed through at a stream's speed would hold that much for nothing.
 * Counting what passes and collecting every 8 MiB keeps memory to the pieces in hand.
 */
export class GarbageMeter {
  private since = 0;

  passed(bytes: number): void {
    this.since += bytes;
    if (this.since < COLLECT_EVERY) return;
    this.since = 0;
    if (gc === undefined) {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    }
    gc();
  }
}

/** The chunks of `body`, counted: a consumer that lets each go before the next stays small. */
export async function* metered(body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const meter = new GarbageMeter();
  for await (const chunk of body) {
    yield chunk;
    meter.passed(chunk.byteLength);
  }
}
