// A changeset converted to the patchset SQLite writes for the same session: DELETE keeps
// only the key, UPDATE keeps the key and the new values of changed columns (writer.ts
// applies those rules when asked for a patchset). A patchset comes back unchanged.
import { ByteCursor } from './cursor.ts';
import { ByteWriter } from './byte-writer.ts';
import { OP_CODE, TABLE_CHANGESET, TABLE_PATCHSET } from './format.ts';
import { PieceCutter } from './pieces.ts';
import { detectKind, iterateChanges } from './reader.ts';
import type { TableHeader } from './types.ts';
import { sameTable, writeChangeset, writeHeader } from './writer.ts';

export function changesetToPatchset(bytes: Uint8Array): Uint8Array {
  return writeChangeset('patchset', iterateChanges(bytes));
}

/**
 * changesetToPatchset of a changeset arriving in chunks, converted a piece at a time (pieces.ts):
 * the bytes yielded, joined, are the whole conversion's, and memory holds a piece.
 */
export function* patchsetPieces(chunks: Iterable<Uint8Array>, pieceBytes: number): Generator<Uint8Array> {
  const cutter = new PieceCutter(pieceBytes);
  const converter = new PatchsetConverter();
  for (const chunk of chunks) for (const piece of cutter.push(chunk)) yield converter.piece(piece.subarray(cutter.copied(piece)));
  for (const piece of cutter.end()) yield converter.piece(piece.subarray(cutter.copied(piece)));
  const tail = converter.end();
  if (tail.length > 0) yield tail;
}

/**
 * What writeChangeset('patchset', iterateChanges(whole)) keeps from one record to the next, kept
 * across pieces. A piece's copy of its table's header is not given here (the whole file has none
 * there), but a header the file repeats is read as one: which object a record's header is
 * decides, as in the reader and the writer, which headers of tables without records are written.
 */
class PatchsetConverter {
  private kind: 'changeset' | 'patchset' | undefined;
  /** The header in force, the header of the last record, and the one last written. */
  private table: TableHeader | undefined;
  private last: TableHeader | undefined;
  private written: TableHeader | undefined;
  /** Headers with no record after them yet (the reader's emptyBefore / emptyAfter). */
  private empty: TableHeader[] = [];

  /** The patchset bytes of `bytes`, the file's next whole records (and headers). */
  piece(bytes: Uint8Array): Uint8Array {
    this.kind ??= detectKind(bytes);
    if (this.kind === 'patchset') return bytes;
    const out = new ByteWriter(bytes.length);
    const c = new ByteCursor(bytes);
    while (c.pos < c.end) {
      const code = bytes[c.pos]!;
      if (code === TABLE_CHANGESET) {
        if (this.table !== undefined && this.table !== this.last) this.empty.push(this.table);
        this.table = c.tableHeader();
        continue;
      }
      const table = this.table!; // the piece was checked: a record follows a header
      const pk = table.pk;
      c.pos++;
      const indirect = c.byte('indirect flag');
      const before = table !== this.last && this.empty.length > 0 ? this.empty : [];
      if (before.length > 0) this.empty = [];
      this.last = table;
      if (this.written === undefined || !sameTable(this.written, table)) {
        for (const empty of before) writeHeader(out, TABLE_PATCHSET, empty);
        writeHeader(out, TABLE_PATCHSET, table);
        this.written = table;
      }
      out.byte(code);
      out.byte(indirect);
      if (code === OP_CODE.INSERT) {
        for (const v of c.record(pk, 'all')) out.value(v);
      } else if (code === OP_CODE.DELETE) {
        const old = c.record(pk, 'all');
        for (let i = 0; i < pk.length; i++) if (pk[i]) out.value(old[i]!);
      } else {
        const old = c.record(pk, 'key');
        const next = c.record(pk, 'none');
        for (let i = 0; i < pk.length; i++) out.value(pk[i] ? old[i]! : next[i]!);
      }
    }
    return out.finish();
  }

  /** The headers of tables without records that end the file, as the whole conversion writes them. */
  end(): Uint8Array {
    if (this.kind !== 'changeset') return new Uint8Array(0);
    if (this.table !== undefined && this.table !== this.last) this.empty.push(this.table);
    // The writer writes the tables after the last record only when that record's header is the one it wrote.
    if (this.last === undefined || this.last !== this.written) return new Uint8Array(0);
    const out = new ByteWriter(64);
    for (const empty of this.empty) writeHeader(out, TABLE_PATCHSET, empty);
    return out.finish();
  }
}
