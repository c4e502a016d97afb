// The change of digest of a large hub entry kept in a file (fetch.ts), a piece at a time: the
// pieces are checked as validateChangeset checks the whole file, and the sum of their changes is
// the file's (a lattice sum does not depend on order, and a repeated table header adds no cell).
// A patchset is checked the same way; the keys of the rows it touches are read from the file
// again when its digest is counted (touched-digest.ts), not held: one a row, they grew with it.
import { addChangesetDelta, type TableDigests } from '../changeset/digest.ts';
import type { ChangesetKind } from '../changeset/types.ts';
import { filePieces, validateFile } from '../repo/apply/apply-pieces.ts';
import type { TouchedRows } from './touched-digest.ts';

export function fileDelta(path: string, kind: ChangesetKind): { delta: TableDigests } | { touched: TouchedRows } {
  if (kind === 'changeset') {
    const delta: TableDigests = new Map();
    for (const piece of filePieces(path, kind)) addChangesetDelta(piece, delta);
    return { delta };
  }
  validateFile(path, kind);
  return { touched: { file: path } };
}
