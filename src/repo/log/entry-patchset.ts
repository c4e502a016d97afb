// A large local commit (src/shared/pieces.ts) as a patchset hub stores it, converted from its
// log file a piece at a time into the same bytes as the whole conversion (src/sync/hub-bytes.ts):
// what push sends, and the name by which a patchset hub knows the commit (push's adoption of its
// own entries, verify).
import { createHash } from 'node:crypto';
import { patchsetPieces } from '../../changeset/index.ts';
import { passed } from '../../shared/collect.ts';
import { fileChunks, pieceBytes } from '../../shared/pieces.ts';

/**
 * Garbage made for each chunk of the log read, counted for collect.ts: the chunk, the cutter's
 * join and its piece's copy behind the table's header, and the patchset written from it. Young:
 * each is let go within one piece.
 */
const COPIES = 4;

/** hubBytes of the local entry in log file `file` for a patchset hub, a piece at a time. */
export function* patchsetFileBytes(file: string): Generator<Uint8Array> {
  yield* patchsetPieces(counted(fileChunks(file)), pieceBytes());
}

function* counted(chunks: Iterable<Uint8Array>): Generator<Uint8Array> {
  for (const chunk of chunks) {
    yield chunk;
    passed(COPIES * chunk.byteLength, true);
  }
}

interface Checksum {
  sha256: string;
  size: number;
}

/** The sha256 and size of patchsetFileBytes(file), and of the log file it is made from, in one read. */
export function patchsetFileChecksums(file: string): { patchset: Checksum; log: Checksum } {
  const log = { hash: createHash('sha256'), size: 0 };
  const patchset = { hash: createHash('sha256'), size: 0 };
  const read = function* (): Generator<Uint8Array> {
    for (const chunk of counted(fileChunks(file))) {
      log.hash.update(chunk);
      log.size += chunk.byteLength;
      yield chunk;
    }
  };
  for (const bytes of patchsetPieces(read(), pieceBytes())) {
    patchset.hash.update(bytes);
    patchset.size += bytes.byteLength;
  }
  const done = (h: typeof log): Checksum => ({ sha256: h.hash.digest('hex'), size: h.size });
  return { patchset: done(patchset), log: done(log) };
}
