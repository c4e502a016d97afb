// A changeset converted to the patchset SQLite writes for the same session: DELETE keeps
// only the key, UPDATE keeps the key and the new values of changed columns (writer.ts
// applies those rules when asked for a patchset). A patchset comes back unchanged.
import { ByteCursor } from './cursor.ts';
import { ByteWriter } from './byte-writer.ts';
import { OP_CODE, TABLE_CHANGESET, TABLE_PATCHSET, TYPE_BLOB, TYPE_TEXT } from './format.ts';
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
  /** Where a record's values start (old, end, new, end), reused from record to record. */
  private at = new Int32Array(0);

  /**
   * The patchset bytes of `bytes`, the file's next whole records (and headers). The bytes a
   * patchset keeps are copied as they are, in runs (the records of a bulk insert are one run):
   * decoding each value, as the reader does, made garbage enough to grow a push's peak by ~35 MB.
   * They are what the writer writes, but for a text or blob length in a longer varint than
   * needed, written again as the writer does.
   */
  piece(bytes: Uint8Array): Uint8Array {
    this.kind ??= detectKind(bytes);
    if (this.kind === 'patchset') return bytes;
    const out = new ByteWriter(bytes.length + 64);
    const c = new ByteCursor(bytes);
    let runStart = 0;
    let runEnd = 0;
    const flush = () => {
      if (runEnd > runStart) out.bytes(bytes.subarray(runStart, runEnd));
      runStart = runEnd = 0;
    };
    const keep = (start: number, end: number) => {
      if (runEnd !== start || runEnd === 0) {
        flush();
        runStart = start;
      }
      runEnd = end;
    };
    const keepValue = (i: number) => {
      const start = this.at[i]!;
      const end = this.at[i + 1]!;
      const type = bytes[start]!;
      if ((type !== TYPE_TEXT && type !== TYPE_BLOB) || bytes[start + 1] !== 0x80) return keep(start, end);
      flush(); // a length with a leading zero group: the writer writes it shorter
      let p = start + 1;
      while (bytes[p]! >= 0x80) p++;
      out.byte(type);
      out.varint(end - p - 1);
      out.bytes(bytes.subarray(p + 1, end));
    };
    while (c.pos < c.end) {
      const code = bytes[c.pos]!;
      if (code === TABLE_CHANGESET) {
        if (this.table !== undefined && this.table !== this.last) this.empty.push(this.table);
        this.table = c.tableHeader();
        if (this.at.length < 2 * this.table.pk.length + 2) this.at = new Int32Array(2 * this.table.pk.length + 2);
        continue;
      }
      const table = this.table!; // the piece was checked: a record follows a header
      const pk = table.pk;
      const n = pk.length;
      const start = c.pos;
      c.pos += 2; // operation and indirect flag
      const before = table !== this.last && this.empty.length > 0 ? this.empty : [];
      if (before.length > 0) this.empty = [];
      this.last = table;
      if (this.written === undefined || !sameTable(this.written, table)) {
        flush();
        for (const empty of before) writeHeader(out, TABLE_PATCHSET, empty);
        writeHeader(out, TABLE_PATCHSET, table);
        this.written = table;
      }
      keep(start, start + 2);
      this.values(c, pk, 0, code === OP_CODE.UPDATE ? 'key' : 'all');
      if (code === OP_CODE.INSERT) {
        for (let i = 0; i < n; i++) keepValue(i);
      } else if (code === OP_CODE.DELETE) {
        for (let i = 0; i < n; i++) if (pk[i]) keepValue(i);
      } else {
        this.values(c, pk, n + 1, 'none');
        for (let i = 0; i < n; i++) keepValue(pk[i] ? i : n + 1 + i);
      }
    }
    flush();
    return out.written(); // about the piece's size: sent or hashed, then let go
  }

  /** Where each of a record's values starts, from at[from], and where the last ends; checked as the reader checks them. */
  private values(c: ByteCursor, pk: boolean[], from: number, required: 'all' | 'key' | 'none'): void {
    for (let i = 0; i < pk.length; i++) {
      this.at[from + i] = c.pos;
      c.skipValue(required === 'all' || (required === 'key' && pk[i]!));
    }
    this.at[from + pk.length] = c.pos;
  }

  /** The headers of tables without records that end the file, as the whole conversion writes them. */
  end(): Uint8Array {
    if (this.kind !== 'changeset') return new Uint8Array(0);
    if (this.table !== undefined && this.table !== this.last) this.empty.push(this.table);
    // The writer writes the tables after the last record only when that record's header is the one it wrote.
    if (this.last === undefined || this.last !== this.written) return new Uint8Array(0);
    const out = new ByteWriter(64);
    for (const empty of this.empty) writeHeader(out, TABLE_PATCHSET, empty);
    return out.take();
  }
}
