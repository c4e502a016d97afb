// A changeset kept in a file (a large hub entry, src/shared/pieces.ts) applied in pieces, so memory
// holds a piece and never the entry: the file is read and checked whole first (every record, and
// every table against the schema), then its pieces are applied one after the other inside the
// caller's transaction, under a savepoint. SQLite retries a change that hits a UNIQUE constraint at
// the end of its table, which a piece may end before; so when a piece aborts on such a retried
// change (a value handed from row to row across pieces), the pieces are rolled back and the whole
// file is applied in one call as before. Any other conflict is the one-call apply's conflict: the
// outcome is the one-call apply's, only its memory differs.
import { kMaxLength } from 'node:buffer';
import { readFileSync, statSync } from 'node:fs';
import { constants, type DatabaseSync } from 'node:sqlite';
import { PieceCutter } from '../../changeset/pieces.ts';
import { invertChangeset } from '../../changeset/index.ts';
import type { Piece } from '../../changeset/piece-changes.ts';
import type { ChangesetKind, TableHeader } from '../../changeset/types.ts';
import { passed } from '../../shared/collect.ts';
import { fileChunksInPlace, pieceBytes } from '../../shared/pieces.ts';
import { SqlferryError } from '../../errors/index.ts';
import { applyConflict, applyValidated, checkTables, suspendTriggers } from './apply.ts';

/**
 * Buffers let go for each chunk read by piecesOf, counted for collect.ts: the chunk, the cutter's
 * copy of it joined to what the chunk before left over, and each piece's copy behind its table's
 * header. Young: each is made and let go within one piece's use. A file's pieces (filePieces)
 * make none: the chunk and the cutter's buffers are filled again.
 */
const COPIES = 3;
/** An inverse's buffers let go: the writer's, grown by doubling, and the inverse itself. */
const INVERSE_COPIES = 3;

/** The conflict of a change SQLite retried at the end of its table and still refused (node:sqlite's types lack the name). */
const SQLITE_CHANGESET_CONSTRAINT = 4;

/**
 * The file's pieces, each checked (ChangesetFormatError at the whole file's offset). Each lives
 * until the next is asked for: its bytes are then overwritten (the reader keeps none of them).
 */
export function* filePieces(path: string, expect?: ChangesetKind, size = pieceBytes()): Generator<Uint8Array> {
  const cutter = new PieceCutter(size, expect, true);
  for (const chunk of fileChunksInPlace(path, size)) yield* cutter.push(chunk);
  yield* cutter.end();
}

/** The pieces of a file read as `chunks` (each a buffer of its own: the cutter keeps what is left of one). */
export function* piecesOf(chunks: Iterable<Uint8Array>, expect?: ChangesetKind, size = pieceBytes()): Generator<Piece> {
  const cutter = new PieceCutter(size, expect);
  const marked = (bytes: Uint8Array): Piece => ({ bytes, continues: cutter.continues(bytes) });
  for (const chunk of chunks) {
    yield* cutter.push(chunk).map(marked);
    passed(COPIES * chunk.byteLength, true);
  }
  yield* cutter.end().map(marked);
}

/** validateChangeset of a file, a piece at a time: the header of every table it changes. */
export function validateFile(path: string, expect?: ChangesetKind): TableHeader[] {
  const cutter = new PieceCutter(pieceBytes(), expect, true);
  for (const chunk of fileChunksInPlace(path)) cutter.push(chunk);
  cutter.end();
  return cutter.tables();
}

/**
 * applyChecked (apply.ts) for a changeset in a file: inside withApplyTransaction, the same
 * refusals. `inverse`: its inverse instead, a piece at a time (a file holds a row once, so its
 * pieces undo in any order).
 */
export function applyCheckedFile(db: DatabaseSync, path: string, expect?: ChangesetKind, inverse = false): void {
  if (!db.isTransaction) throw new Error('applyCheckedFile must run inside a transaction');
  const restoreTriggers = suspendTriggers(db);
  try {
    checkTables(db, validateFile(path, expect), false);
    let retried = false;
    const opts = {
      expect,
      onConflict: (kind: number) => {
        retried ||= kind === SQLITE_CHANGESET_CONSTRAINT;
        return constants.SQLITE_CHANGESET_ABORT;
      },
    };
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
        // A row's own conflict (changed, missing, already there) is met as in one call: a file
        // holds a row once, so the pieces before it left that row as one call leaves it.
        if (!retried) throw applyConflict();
        if (statSync(path).size > kMaxLength) throw tooLargeToRetry(path);
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

function tooLargeToRetry(path: string): SqlferryError {
  return new SqlferryError('APPLY_TOO_LARGE', `${path} hands a UNIQUE value between rows across its pieces, and is too large to apply in one call; nothing was changed`, {
    data: { path },
    hint: 'set SQLFERRY_PIECE_BYTES larger, so that the rows that trade the value share a piece',
  });
}
