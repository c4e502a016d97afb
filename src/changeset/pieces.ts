// Cutting a changeset or patchset into pieces at record boundaries as its bytes arrive, so a large
// one is checked, counted, sent and applied without being held whole. Each piece is a file of the
// same kind that starts with its table's header (copied when the piece starts inside a table):
// SQLite applies a table header repeated with the same columns as one table, and the pieces'
// records, headers aside, are the file's bytes in order. Every piece is checked as
// validateChangeset checks a whole file, with the same refusals at the same offsets of the whole
// file, and a table named again with other columns is refused across pieces too.
// A reader that is done with each piece before it asks for the next (an apply, a digest count)
// lets the cutter reuse its buffers: the bytes held and the pieces behind a copied header live in
// buffers of its own, filled again, so a large file makes no garbage a piece (a chunk, the bytes
// joined, the piece) for the collector to catch up with.
import { ChangesetFormatError } from '../errors/index.ts';
import { ByteCursor } from './cursor.ts';
import { MAX_COLUMNS, OP_CODE, TABLE_CHANGESET, TABLE_PATCHSET, TYPE_BLOB, TYPE_INTEGER, TYPE_NULL, TYPE_REAL, TYPE_TEXT, TYPE_UNDEFINED } from './format.ts';
import { detectKind } from './reader.ts';
import { walkTables } from './tables.ts';
import type { ChangesetKind, TableHeader } from './types.ts';
import { foldAscii, refuseContradiction } from './validate.ts';

interface Header {
  bytes: Uint8Array;
  /** Where it starts in the whole file. */
  at: number;
  table: TableHeader | undefined;
}

export class PieceCutter {
  private readonly pieceBytes: number;
  private readonly expect: ChangesetKind | undefined;
  private kind: ChangesetKind | undefined;
  /** Bytes not cut yet (whole units first), from offset `at` of the file. */
  private chunks: Uint8Array[] = [];
  private held = 0;
  /** When reused: the bytes held, in `slab` from `from` on (the chunks pushed are copied in), and the pieces with a copied header, one buffer each of a cut. */
  private readonly reuse: boolean;
  private slab = new Uint8Array(0);
  private from = 0;
  private readonly spares: Uint8Array[] = [];
  private sparesUsed = 0;
  /** Cut again once this much is held: a record larger than a piece is measured again only after its bytes held have doubled, not at every chunk (which copied and re-read it quadratically). */
  private cutAt: number;
  private at = 0;
  /** The table header in force where the held bytes start, and where the measuring has got to. */
  private headerAtStart: Header | undefined;
  private header: Header | undefined;
  private readonly first = new Map<string, TableHeader>();
  private readonly changed: TableHeader[] = [];
  private readonly listed = new Set<string>();
  /** The pieces that start with a copy of their table's header, and its length. */
  private readonly copies = new WeakMap<Uint8Array, number>();

  /**
   * `reuse`: the pieces push() and end() return live until the next call of either (their bytes
   * are then overwritten), and a chunk pushed may be overwritten by its caller once push() returns.
   * Otherwise each piece, and each chunk the cutter keeps, is a buffer of its own.
   */
  constructor(pieceBytes: number, expect?: ChangesetKind, reuse = false) {
    this.pieceBytes = pieceBytes;
    this.cutAt = pieceBytes;
    this.expect = expect;
    this.reuse = reuse;
  }

  /** The pieces complete once `chunk` is added (the bytes after them are held). */
  push(chunk: Uint8Array): Uint8Array[] {
    if (chunk.byteLength === 0) return [];
    if (this.reuse) this.hold(chunk);
    else this.chunks.push(chunk);
    this.held += chunk.byteLength;
    return this.held < this.cutAt ? [] : this.cut(false);
  }

  /** The last pieces; throws ChangesetFormatError when the file ends inside a record. */
  end(): Uint8Array[] {
    return this.cut(true);
  }

  /** How many leading bytes of `piece`, cut here, are a copy of its table's header (0 when it starts with its own bytes). */
  copied(piece: Uint8Array): number {
    return this.copies.get(piece) ?? 0;
  }

  /** Whether `piece` starts inside a table, behind a copy of its header (changesOfPieces needs to know). */
  continues(piece: Uint8Array): boolean {
    return this.copied(piece) > 0;
  }

  /** What validateChangeset returns: the header of every table changed, once each, in file order. */
  tables(): TableHeader[] {
    return this.changed;
  }

  /** Copy `chunk` behind the bytes held, moved to the slab's start first (the pieces cut from before them are done with). */
  private hold(chunk: Uint8Array): void {
    const need = this.held + chunk.byteLength;
    if (need > this.slab.byteLength) {
      const grown = Buffer.allocUnsafeSlow(Math.max(need, 2 * this.slab.byteLength));
      grown.set(this.slab.subarray(this.from, this.from + this.held));
      this.slab = grown;
    } else if (this.from > 0) this.slab.copyWithin(0, this.from, this.from + this.held);
    this.from = 0;
    this.slab.set(chunk, this.held);
  }

  private cut(final: boolean): Uint8Array[] {
    if (this.held === 0) return [];
    const bytes = this.reuse ? this.slab.subarray(this.from, this.from + this.held) : this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.sparesUsed = 0;
    if (this.kind === undefined) {
      this.kind = detectKind(bytes);
      if (this.expect !== undefined && this.kind !== this.expect) throw new ChangesetFormatError(`expected a ${this.expect}, found a ${this.kind} table header`, 0);
    }
    const out: Uint8Array[] = [];
    let start = 0;
    let pos = 0;
    for (;;) {
      const end = pos < bytes.length ? this.unitEnd(bytes, pos) : undefined;
      if (end === undefined) break;
      pos = end;
      if (pos - start >= this.pieceBytes) {
        out.push(this.piece(bytes, start, pos));
        start = pos;
        this.headerAtStart = this.header;
      }
    }
    if (final) {
      if (start < bytes.length) out.push(this.piece(bytes, start, bytes.length)); // a cut-off tail is refused there
      this.chunks = [];
      this.held = 0;
      this.from = 0;
    } else {
      const rest = bytes.subarray(start);
      // The rest is measured again from its start, under the header in force there (the measuring may have passed another).
      this.header = this.headerAtStart;
      this.chunks = rest.length > 0 && !this.reuse ? [rest] : [];
      this.from += start;
      this.held = rest.length;
      this.cutAt = Math.max(this.pieceBytes, 2 * rest.length);
    }
    this.at += start;
    return out;
  }

  /** bytes[start, end) as a file of its own, checked; offsets in refusals are the whole file's. */
  private piece(bytes: Uint8Array, start: number, end: number): Uint8Array {
    const body = bytes.subarray(start, end);
    const code = body[0];
    const prefix = code !== TABLE_CHANGESET && code !== TABLE_PATCHSET ? this.headerAtStart : undefined;
    const h = prefix?.bytes.length ?? 0;
    const piece = prefix ? this.joined(prefix.bytes, body) : body;
    const global = (offset: number) => (offset < h ? prefix!.at + offset : this.at + start + offset - h);
    try {
      walkTables(piece, this.kind!, {
        header: (table, offset) => {
          if (offset < h) return; // the copy of a header checked where it stood
          if (table.name === '') throw new ChangesetFormatError('table header with an empty table name', offset);
          const key = foldAscii(table.name);
          const earlier = this.first.get(key);
          if (earlier === undefined) this.first.set(key, table);
          else refuseContradiction(earlier, table, offset);
        },
        changed: (table) => {
          const key = foldAscii(table.name);
          if (this.listed.has(key)) return;
          this.listed.add(key);
          this.changed.push(table);
        },
      });
    } catch (err) {
      if (!(err instanceof ChangesetFormatError)) throw err;
      throw new ChangesetFormatError(err.message.replace(/ at byte offset \d+$/, ''), global(err.offset));
    }
    if (prefix) this.copies.set(piece, h);
    return piece;
  }

  /** `head` then `body` in one buffer: a new one, or when reused, the cut's next spare. */
  private joined(head: Uint8Array, body: Uint8Array): Uint8Array {
    if (!this.reuse) return Buffer.concat([head, body]);
    const length = head.byteLength + body.byteLength;
    let spare = this.spares[this.sparesUsed];
    if (spare === undefined || spare.byteLength < length) this.spares[this.sparesUsed] = spare = Buffer.allocUnsafeSlow(Math.max(length, this.pieceBytes + head.byteLength));
    this.sparesUsed += 1;
    spare.set(head);
    spare.set(body, head.byteLength);
    return spare.subarray(0, length);
  }

  /**
   * Where the header or record at `pos` ends, or undefined when the bytes held end first. A unit
   * that cannot be measured (an unknown byte) ends where the doubt starts: the piece's check refuses it.
   */
  private unitEnd(bytes: Uint8Array, pos: number): number | undefined {
    const code = bytes[pos]!;
    if (code === TABLE_CHANGESET || code === TABLE_PATCHSET) return this.headerEnd(bytes, pos);
    const table = this.header?.table;
    const op = code === OP_CODE.INSERT ? 'insert' : code === OP_CODE.UPDATE ? 'update' : code === OP_CODE.DELETE ? 'delete' : undefined;
    if (table === undefined || op === undefined) return pos + 1;
    const n = table.pk.length;
    const patchset = this.kind === 'patchset';
    const count = op === 'insert' ? n : op === 'update' ? (patchset ? n : 2 * n) : patchset ? table.pk.filter(Boolean).length : n;
    return valuesEnd(bytes, pos + 2, count);
  }

  private headerEnd(bytes: Uint8Array, pos: number): number | undefined {
    let p = pos + 1;
    let nCol = 0;
    for (let i = 0; ; i++) {
      if (p >= bytes.length) return undefined;
      const b = bytes[p++]!;
      nCol = i === 8 ? nCol * 256 + b : nCol * 128 + (b & 0x7f);
      if (i === 8 || b < 0x80) break;
    }
    let end: number;
    if (nCol < 1 || nCol > MAX_COLUMNS) end = p;
    else {
      if (p + nCol >= bytes.length) return undefined;
      const nul = bytes.indexOf(0, p + nCol);
      if (nul < 0) return undefined;
      end = nul + 1;
    }
    let table: TableHeader | undefined;
    try {
      const c = new ByteCursor(bytes.subarray(0, end));
      c.pos = pos;
      table = c.tableHeader();
    } catch {
      table = undefined; // the piece's check says why
    }
    this.header = { bytes: new Uint8Array(bytes.subarray(pos, end)), at: this.at + pos, table };
    return end;
  }
}

const MAX_LENGTH = 0x7fffffff;

/** Where `count` values from `p` end, or undefined when the bytes end first. */
function valuesEnd(bytes: Uint8Array, p: number, count: number): number | undefined {
  for (let i = 0; i < count; i++) {
    if (p >= bytes.length) return undefined;
    const type = bytes[p++]!;
    if (type === TYPE_INTEGER || type === TYPE_REAL) p += 8;
    else if (type === TYPE_TEXT || type === TYPE_BLOB) {
      let n = 0;
      for (let j = 0; ; j++) {
        if (p >= bytes.length) return undefined;
        const b = bytes[p++]!;
        n = j === 8 ? n * 256 + b : n * 128 + (b & 0x7f);
        if (j === 8 || b < 0x80) break;
      }
      if (n > MAX_LENGTH) return p;
      p += n;
    } else if (type !== TYPE_NULL && type !== TYPE_UNDEFINED) return p;
  }
  return p <= bytes.length ? p : undefined;
}

/** Cuts every chunk of `body` into pieces (a whole changeset in one chunk, or a stream). */
export async function* piecesOf(body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, pieceBytes: number, expect?: ChangesetKind): AsyncGenerator<Uint8Array> {
  const cutter = new PieceCutter(pieceBytes, expect);
  for await (const chunk of body) yield* cutter.push(chunk);
  yield* cutter.end();
}
