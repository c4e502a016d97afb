// How large changes travel in bounded memory (src/changeset/pieces.ts cuts them): pieces of 1 MiB
// (SQLFERRY_PIECE_BYTES sets another size, for tests), and an entry larger than 8 pieces is sent,
// received and applied as a stream of pieces rather than held whole.
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
