// The change of digest of a large hub entry kept in a file (fetch.ts), a piece at a time: the
// pieces are checked as validateChangeset checks the whole file, and the sum of their changes is
// the file's (a lattice sum does not depend on order, and a repeated table header adds no cell).
// A patchset's touched keys are gathered the same way (they are held: one key per row touched).
import { addChangesetDelta, type TableDigests } from '../changeset/digest.ts';
import type { ChangesetKind } from '../changeset/types.ts';
import { filePieces } from '../repo/apply/apply-pieces.ts';
import { touchedKeys } from './touched-digest.ts';

export function fileDelta(path: string, kind: ChangesetKind): { delta: TableDigests } | { touched: ReturnType<typeof touchedKeys> } {
  if (kind === 'changeset') {
    const delta: TableDigests = new Map();
    for (const piece of filePieces(path, kind)) addChangesetDelta(piece, delta);
    return { delta };
  }
  const touched: ReturnType<typeof touchedKeys> = new Map();
  for (const piece of filePieces(path, kind)) {
    for (const [table, t] of touchedKeys(piece)) {
      const into = touched.get(table);
      if (into === undefined) touched.set(table, t);
      else for (const key of t.keys) into.keys.push(key);
    }
  }
  return { touched };
}
