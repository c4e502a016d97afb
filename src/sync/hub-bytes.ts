// Local commits stay changesets (they must be invertible for a rebase); a patchset hub stores
// the smaller patchset, which every replica applies to the very state it was made on. A large
// commit (src/shared/pieces.ts) is converted from its log file a piece at a time, into the same
// bytes as the whole conversion: the hub's checksum of a commit does not depend on its size.
import { createHash } from 'node:crypto';
import { changesetToPatchset, detectKind, patchsetPieces } from '../changeset/index.ts';
import type { ChangesetKind } from '../changeset/types.ts';
import { passed } from '../shared/collect.ts';
import { fileChunks, pieceBytes } from '../shared/pieces.ts';

export function hubBytes(local: Uint8Array, hubKind: ChangesetKind): Uint8Array {
  return hubKind === 'patchset' && local.length > 0 && detectKind(local) === 'changeset' ? changesetToPatchset(local) : local;
}

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
