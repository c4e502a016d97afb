// The change of digest of a patchset's UPDATEs and DELETEs, which lack the old values a
// changeset carries: the rows they touch are read by key from the database before it applies
// (their cells removed), and an UPDATE's again after (its cells added); a DELETE's row is gone
// after an apply that did not refuse the entry. Its INSERTs hold their whole rows and are
// counted from the bytes (addPatchsetInsertsDelta): a bulk load on a patchset hub is read from
// the database not at all.
// Each key is read and looked up as the records are walked, a piece of a large entry's file at a
// time, and nothing of it is kept: held, one a row, the keys grew with the entry (a
// 3,000,000-row patchset: hundreds of MB).
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { lanesOf, type TableDigests } from '../changeset/digest.ts';
import { CellBatch } from '../changeset/digest-cells.ts';
import type { SqlValue, TableHeader } from '../changeset/types.ts';
import { ByteCursor } from '../changeset/cursor.ts';
import { OP_CODE, TABLE_PATCHSET } from '../changeset/format.ts';
import { isValidUtf8, quoteIdent, toJs } from '../changeset/value.ts';
import { addRowCells } from '../repo/digest-scan.ts';
import { filePieces } from '../repo/apply/apply-pieces.ts';
import { passed, settle } from '../shared/collect.ts';
import { keyedColumns, readTable } from '../repo/schema/schema-read.ts';
import { exactColumnList } from '../repo/capture/values.ts';
import { mark } from './rows.ts';

/** A patchset's bytes: held, or in a file (a large entry), read a piece at a time. */
export type PatchsetBytes = Uint8Array | { file: string };

/**
 * Remove (sign -1, before the apply) the cells the rows that the patchset's UPDATEs and DELETEs
 * touch hold now, or add (1, after it) those its UPDATEs' rows hold. A table that does not
 * exist, or not with the patchset's key, holds none here (created, given a column or dropped
 * by the entry: counted otherwise, or refused by the apply).
 */
export function addTouchedRows(db: DatabaseSync, patchset: PatchsetBytes, digests: TableDigests, sign: 1 | -1): void {
  const rows = new TouchedRows(db, digests, sign);
  try {
    if (patchset instanceof Uint8Array) rows.walk(patchset);
    else {
      for (const piece of filePieces(patchset.file, 'patchset')) {
        rows.walk(piece);
        passed(READ * piece.byteLength, true);
      }
      settle(); // the young generation the reads grew, given back before the apply (or the next entry)
    }
  } finally {
    rows.finish();
  }
}

/**
 * Garbage the rows read leave, per byte of the piece that names them, counted for collect.ts: a
 * key's values and bindings, and a row of 2 values a column (TEXT and BLOB as buffers of their
 * own). Young: made and let go row by row.
 */
const READ = 8;

/** One table's lookup by key: a statement per placeholder pattern (TEXT that is not UTF-8 is bound as bytes: rows.ts, `mark`). */
interface Lookup {
  name: Uint8Array;
  lanes: Uint16Array;
  pk: boolean[];
  keyColumns: string[];
  select: string;
  statements: Map<string, StatementSync>;
}

class TouchedRows {
  private readonly cells = new CellBatch();
  private readonly lookups = new Map<string, Lookup | null>();
  private lookup: Lookup | null = null;
  private table: TableHeader | undefined;
  private key: SqlValue[] = [];

  private readonly db: DatabaseSync;
  private readonly digests: TableDigests;
  private readonly sign: 1 | -1;

  constructor(db: DatabaseSync, digests: TableDigests, sign: 1 | -1) {
    this.db = db;
    this.digests = digests;
    this.sign = sign;
  }

  /** Look up the row of every UPDATE (and, before the apply, DELETE) of a checked patchset or piece. */
  walk(bytes: Uint8Array): void {
    const c = new ByteCursor(bytes);
    while (c.pos < c.end) {
      if (bytes[c.pos] === TABLE_PATCHSET) {
        this.enter(c.tableHeader());
        continue;
      }
      const { pk } = this.table!;
      const op = bytes[c.pos];
      c.pos += 2; // operation and indirect flag
      if (op === OP_CODE.INSERT) {
        for (let i = 0; i < pk.length; i++) c.skipValue(true);
        continue;
      }
      const remove = op === OP_CODE.DELETE;
      const read = this.lookup !== null && (!remove || this.sign === -1);
      let j = 0;
      for (let i = 0; i < pk.length; i++) {
        if (!pk[i]) {
          if (!remove) c.skipValue(false); // a patchset DELETE holds the key only
        } else if (read) this.key[j++] = c.value(true);
        else c.skipValue(true);
      }
      if (read) this.addRow(this.lookup!);
    }
  }

  finish(): void {
    this.cells.finish();
  }

  private enter(table: TableHeader): void {
    this.table = table;
    let lookup = this.lookups.get(table.name);
    if (lookup === undefined) this.lookups.set(table.name, (lookup = this.lookupOf(table)));
    this.lookup = lookup;
    if (lookup !== null) this.cells.target(lookup.lanes);
  }

  private lookupOf({ name, pk }: TableHeader): Lookup | null {
    const found = readTable(this.db, name);
    const info = found === undefined ? [] : keyedColumns(found); // a rowid table: the rowid first
    if (info.length !== pk.length || info.some((c, i) => c.pk > 0 !== pk[i])) return null;
    const columns = info.map((c) => c.name);
    return {
      name: Buffer.from(name, 'utf8'),
      lanes: lanesOf(this.digests, name),
      pk,
      keyColumns: columns.filter((_, i) => pk[i]),
      select: `SELECT ${exactColumnList('t', columns)} FROM main.${quoteIdent(name)} AS t WHERE `,
      statements: new Map(),
    };
  }

  private addRow(lookup: Lookup): void {
    const n = lookup.keyColumns.length;
    const args = new Array<SQLInputValue>(n);
    let pattern = ''; // the key values bound as bytes: none, as a rule
    for (let j = 0; j < n; j++) {
      const v = this.key[j]!;
      if (v.type === 'text' && !isValidUtf8(v.value)) {
        pattern += `${j},`;
        args[j] = v.value;
      } else args[j] = toJs(v) as SQLInputValue;
    }
    let stmt = lookup.statements.get(pattern);
    if (stmt === undefined) {
      const where = lookup.keyColumns.map((c, j) => `${quoteIdent(c)} IS ${mark(this.key[j]!)}`).join(' AND ');
      stmt = this.db.prepare(lookup.select + where);
      stmt.setReadBigInts(true);
      stmt.setReturnArrays(true);
      lookup.statements.set(pattern, stmt);
    }
    const row = stmt.get(...args) as unknown[] | undefined;
    if (row !== undefined) addRowCells(this.cells, lookup.name, lookup.pk, row, this.sign);
  }
}
