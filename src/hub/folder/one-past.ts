// A hub file is read no further than one byte past the size its metadata gives. Anyone with write
// access to a folder hub can make an entry or snapshot file far longer than its metadata says
// (a sparse file costs nothing); read whole, it would fill a replica's memory or disk before the
// checksum could refuse it. One byte past is enough for the checksum to see the file is longer.

/**
 * Metadata, the hub file and the head hint are a few KiB as sqlferry writes them: a longer one is
 * read this far and one byte past, which its parser then refuses (JSON cut short), as damaged.
 */
export const MAX_TEXT_BYTES = 16 * 1024 * 1024;

/** The bytes of `body`, stopped one past `size` (leaving the rest unread). */
export async function* upToOnePast(body: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  let left = size + 1;
  for await (const chunk of body) {
    if (chunk.length >= left) {
      yield chunk.subarray(0, left);
      return; // ends the loop, which closes `body` (its file handle) through its return()
    }
    left -= chunk.length;
    yield chunk;
  }
}
