// A changeset kept in a file (a large hub entry, src/shared/pieces.ts) applied in pieces, so memory
// holds a piece and never the entry: the file is read and checked whole first (every record, and
// every table against the schema), then its pieces are applied one after the other inside the
// caller's transaction, under a savepoint. SQLite retries a change that hits a UNIQUE constraint at
// the end of its table, which a piece may end before; so when a piece aborts, the pieces are
// rolled back and the whole file is applied in one call as before (a conflict, or a value handed
// from row to row across pieces): the outcome is the one-call apply's, only its memory differs.
import { readFileSync } from 'node:fs';
import { constants, type DatabaseSync } from 'node:sqlite';
import { PieceCutter } from '../../changeset/pieces.ts';
import { invertChangeset } from '../../changeset/index.ts';
import type { ChangesetKind, TableHeader } from '../../changeset/types.ts';
import { passed } from '../../shared/collect.ts';
import { fileChunks, pieceBytes } from '../../shared/pieces.ts';
import { applyConflict, applyValidated, checkTables, suspendTriggers } from './apply.ts';

/**
 * Buffers let go for each chunk read, counted for collect.ts: the chunk, the cutter's copy of it
 * joined to what the chunk before left over, and each piece's copy behind its table's header.
 * Counted as the piece alone, up to ~16 MB of them waited for a full collection while a pull
 * applied a large entry. Young: each is made and let go within one piece's apply.
 */
const COPIES = 3;
/** An inverse's buffers let go: the writer's, grown by doubling, and the inverse itself. */
const INVERSE_COPIES = 3;

/** The file's pieces, each checked (ChangesetFormatError at the whole file's offset). */
export function* filePieces(path: string, expect?: ChangesetKind, size = pieceBytes()): Generator<Uint8Array> {
  const cutter = new PieceCutter(size, expect);
  for (const chunk of fileChunks(path)) {
    yield* cutter.push(chunk);
    passed(COPIES * chunk.byteLength, true);
  }
  yield* cutter.end();
}

/** validateChangeset of a file, a piece at a time: the header of every table it changes. */
export function validateFile(path: string, expect?: ChangesetKind): TableHeader[] {
  const cutter = new PieceCutter(pieceBytes(), expect);
  for (const chunk of fileChunks(path)) {
    cutter.push(chunk);
    passed(COPIES * chunk.byteLength, true);
  }
  cutter.end();
  return cutter.tables();
}

/**
 * applyChecked (apply.ts) for a changeset in a file: inside withApplyTransaction, the same
 * refusals. `inverse`: its inverse instead, a piece at a time (an entry holds each row once, so
 * its pieces undo in any order).
 */
export function applyCheckedFile(db: DatabaseSync, path: string, expect?: ChangesetKind, inverse = false): void {
  if (!db.isTransaction) throw new Error('applyCheckedFile must run inside a transaction');
  const restoreTriggers = suspendTriggers(db);
  try {
    checkTables(db, validateFile(path, expect), false);
    const opts = { expect, onConflict: () => constants.SQLITE_CHANGESET_ABORT };
    db.exec('SAVEPOINT sqlferry_pieces');
    try {
      let applied = true;
      const turned = (bytes: Uint8Array) => {
        if (!inverse) return bytes;
        const inverted = invertChangeset(bytes);
        passed(INVERSE_COPIES * inverted.byteLength, true);
        return inverted;
      };
      for (const piece of filePieces(path, expect)) if (!(applied = applyValidated(db, turned(piece), opts))) break;
      if (!applied) {
        db.exec('ROLLBACK TO sqlferry_pieces');
        if (!applyValidated(db, turned(readFileSync(path)), opts)) throw applyConflict();
      }
    } catch (err) {
      db.exec('ROLLBACK TO sqlferry_pieces');
      throw err;
    } finally {
      db.exec('RELEASE sqlferry_pieces');
    }
  } finally {
    restoreTriggers();
  }
}
