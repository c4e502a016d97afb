// The change of digest of a patchset's UPDATEs and DELETEs, which lack the old values a
// changeset carries: the rows they touch are read from the database before it applies (their
// cells removed) and after (their cells added). Two reads by key per touched row, instead of
// rescanning tables. Its INSERTs hold their whole rows and are counted from the bytes
// (addPatchsetInsertsDelta): a bulk load on a patchset hub is read from the database not at all.
// A large entry's keys are read from its file a piece at a time, at each of the two reads:
// held, one a row, they grew with the entry (a 3,000,000-row patchset: hundreds of MB).
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { lanesOf, type TableDigests } from '../changeset/digest.ts';
import { CellBatch } from '../changeset/digest-cells.ts';
import { iterateChanges } from '../changeset/index.ts';
import type { SqlValue, TableHeader } from '../changeset/types.ts';
import { ByteCursor } from '../changeset/cursor.ts';
import { OP_CODE, TABLE_PATCHSET } from '../changeset/format.ts';
import { quoteIdent } from '../changeset/value.ts';
import { addRowCells } from '../repo/digest-scan.ts';
import { filePieces } from '../repo/apply/apply-pieces.ts';
import { passed } from '../shared/collect.ts';
import { keyedColumns, readTable } from '../repo/schema/schema-read.ts';
import { exactColumnList } from '../repo/capture/values.ts';
import { bind, mark } from './rows.ts';

interface Touched {
  pk: boolean[];
  keys: SqlValue[][];
}

/** Per table, the keys (values of the key columns, in column order) the UPDATEs and DELETEs of `bytes` touch. */
export function touchedKeys(bytes: Uint8Array): Map<string, Touched> {
  const out = new Map<string, Touched>();
  for (const change of iterateChanges(bytes)) {
    if (change.op === 'INSERT') continue;
    const values = change.old!;
    let t = out.get(change.table.name);
    if (t === undefined) out.set(change.table.name, (t = { pk: change.table.pk, keys: [] }));
    t.keys.push(values.filter((_, i) => change.table.pk[i]));
  }
  return out;
}

/** The keys a patchset touches: held (touchedKeys), or those of the patchset in a file (a large entry), read when asked. */
export type TouchedRows = Map<string, Touched> | { file: string };

/** Add (sign 1) or remove (-1) the cells the touched rows hold in `db` now; a table that does not exist holds none. */
export function addTouchedRows(db: DatabaseSync, touched: TouchedRows, digests: TableDigests, sign: 1 | -1): void {
  if (touched instanceof Map) return addKeyedRows(db, touched, digests, sign);
  for (const piece of filePieces(touched.file, 'patchset')) {
    addKeyedRows(db, pieceKeys(piece), digests, sign);
    passed(DECODED * piece.byteLength, true);
  }
}

/**
 * Garbage a piece's keys leave, per byte of the piece, counted for collect.ts (an array, an
 * object and a BigInt or a view a key value). Uncounted, and with every value decoded as
 * touchedKeys decodes them, V8's heap grew to ~140 MB between collections while a clone
 * replayed a 1,000,000-row patchset.
 */
const DECODED = 4;

/** touchedKeys of a checked patchset piece, decoding the key values only. */
function pieceKeys(bytes: Uint8Array): Map<string, Touched> {
  const out = new Map<string, Touched>();
  const c = new ByteCursor(bytes);
  let table: TableHeader | undefined;
  let touched: Touched | undefined;
  while (c.pos < c.end) {
    if (bytes[c.pos] === TABLE_PATCHSET) {
      table = c.tableHeader();
      touched = undefined;
      continue;
    }
    const { pk, name } = table!;
    const insert = bytes[c.pos] === OP_CODE.INSERT;
    const remove = bytes[c.pos] === OP_CODE.DELETE;
    c.pos += 2; // operation and indirect flag
    if (insert) {
      for (let i = 0; i < pk.length; i++) c.skipValue(true);
      continue;
    }
    const key: SqlValue[] = [];
    for (let i = 0; i < pk.length; i++) {
      if (pk[i]) key.push(c.value(true));
      else if (!remove) c.skipValue(false); // a patchset DELETE holds the key only
    }
    if (touched === undefined && (touched = out.get(name)) === undefined) out.set(name, (touched = { pk, keys: [] }));
    touched.keys.push(key);
  }
  return out;
}

function addKeyedRows(db: DatabaseSync, touched: Map<string, Touched>, digests: TableDigests, sign: 1 | -1): void {
  const cells = new CellBatch();
  for (const [table, { pk, keys }] of touched) {
    const found = readTable(db, table);
    const info = found === undefined ? [] : keyedColumns(found); // a rowid table: the rowid first
    // Created by this entry (before), dropped by it (after), or not this table at all (the apply refuses it).
    if (info.length !== pk.length || info.some((c, i) => c.pk > 0 !== pk[i])) continue;
    const columns = info.map((c) => c.name);
    const keyColumns = columns.filter((_, i) => pk[i]);
    const name = Buffer.from(table, 'utf8');
    cells.target(lanesOf(digests, table));
    const statements = new Map<string, StatementSync>(); // one per placeholder pattern, not per row
    for (const key of keys) {
      const where = keyColumns.map((c, j) => `${quoteIdent(c)} IS ${mark(key[j]!)}`).join(' AND ');
      let stmt = statements.get(where);
      if (stmt === undefined) {
        stmt = db.prepare(`SELECT ${exactColumnList('t', columns)} FROM main.${quoteIdent(table)} AS t WHERE ${where}`);
        stmt.setReadBigInts(true);
        stmt.setReturnArrays(true);
        statements.set(where, stmt);
      }
      const row = stmt.get(...key.map(bind)) as unknown[] | undefined;
      if (row !== undefined) addRowCells(cells, name, pk, row, sign);
    }
  }
  cells.finish();
}
