// The change of digest of a large hub entry kept in a file (fetch.ts), a piece at a time: the
// pieces are checked as validateChangeset checks the whole file, and the sum of their changes is
// the file's (a lattice sum does not depend on order, and a repeated table header adds no cell).
// A patchset is checked the same way and its INSERTs counted; the rows its UPDATEs and DELETEs
// touch are read when its digest is counted, from keys read from the file again (touched-digest.ts).
import { addChangesetDelta, addPatchsetInsertsDelta, type TableDigests } from '../changeset/digest.ts';
import type { ChangesetKind, TableHeader } from '../changeset/types.ts';
import { filePieces } from '../repo/apply/apply-pieces.ts';
import type { PatchsetBytes } from './touched-digest.ts';

/** An entry's change of digest from its bytes, and for a patchset the bytes whose rows give the rest. */
export interface EntryDigestChange {
  delta: TableDigests;
  touched?: PatchsetBytes;
  /** For bytes held in memory: the tables validateChangeset found in them, which applying them checks (apply.ts). */
  tables?: readonly TableHeader[];
}

export function fileDelta(path: string, kind: ChangesetKind): EntryDigestChange {
  const delta: TableDigests = new Map();
  for (const piece of filePieces(path, kind)) (kind === 'changeset' ? addChangesetDelta : addPatchsetInsertsDelta)(piece, delta);
  return kind === 'changeset' ? { delta } : { delta, touched: { file: path } };
}
