// The changes of a file cut into pieces (pieces.ts), decoded a piece at a time and yielded as
// iterateChanges yields them for the whole file: the same table objects (a piece that starts
// inside a table goes on with the table before the cut, not with the copy of its header), and the
// same tables named with no change (emptyBefore, emptyAfter), so that writing them back
// (ChangesetWriter: an inverse, a patchset) gives the whole file's bytes.
import { ByteCursor } from './cursor.ts';
import { iterateChanges } from './reader.ts';
import type { Change, TableHeader } from './types.ts';

export interface Piece {
  bytes: Uint8Array;
  /** It starts with a copy of the header in force where it was cut (PieceCutter.continues). */
  continues: boolean;
}

export function* changesOfPieces(pieces: Iterable<Piece>): Generator<Change> {
  /** The table of the last change yielded, and the headers read after it with no change. */
  let last: TableHeader | undefined;
  let pending: TableHeader[] = [];
  for (const piece of pieces) {
    // A cut just after a header leaves it with no change in its piece: it is the table going on.
    const goesOn = piece.continues ? (pending.pop() ?? last) : undefined;
    if (goesOn !== undefined && goesOn !== last && pending.length > 0) goesOn.emptyBefore = pending;
    let first: TableHeader | undefined;
    let own: TableHeader | undefined; // the piece's own object for its last table
    for (const change of iterateChanges(piece.bytes)) {
      if (first === undefined) {
        first = change.table;
        if (goesOn === undefined && pending.length > 0) first.emptyBefore = [...pending, ...(first.emptyBefore ?? [])];
        pending = [];
      }
      own = change.table;
      if (goesOn !== undefined && own === first) {
        last = goesOn;
        yield { ...change, table: goesOn };
      } else {
        last = own;
        yield change;
      }
    }
    if (own === undefined) {
      pending.push(...headersOf(piece.bytes)); // a piece of headers alone (it cannot start inside a table)
      continue;
    }
    pending = own.emptyAfter ?? [];
    own.emptyAfter = undefined;
  }
  if (last !== undefined && pending.length > 0) last.emptyAfter = pending;
}

function headersOf(bytes: Uint8Array): TableHeader[] {
  const cursor = new ByteCursor(bytes);
  const headers: TableHeader[] = [];
  while (cursor.pos < cursor.end) headers.push(cursor.tableHeader());
  return headers;
}
