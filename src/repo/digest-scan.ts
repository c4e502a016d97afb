// The content digest of a database read from its rows (src/changeset/digest.ts says what it
// is): one scan per tracked table, each value encoded as a changeset encodes it, so a scan
// and the sum of every changeset since the start agree bit for bit. Rows with a NULL in a
// key column are left out, as sessions leave them out of changesets. A table tracked by rowid
// is read with its rowid as column 0, the key, as its changesets hold it.
import type { DatabaseSync } from 'node:sqlite';
import { ByteWriter } from '../changeset/byte-writer.ts';
import { CellHasher, keyOf, lanesOf, type TableDigests } from '../changeset/digest.ts';
import { quoteIdent } from '../changeset/value.ts';
import { keyedColumns, readSchema, trackedTables, type TableInfo } from './schema-read.ts';
import { exactColumnList, readValue } from './values.ts';

/** The digests of every tracked table of `db`, or of the tables named in `only` (lower-cased: names are case-blind). */
export function scanDigests(db: DatabaseSync, only?: ReadonlySet<string>): TableDigests {
  const digests: TableDigests = new Map();
  for (const table of trackedTables(readSchema(db))) {
    if (only === undefined || only.has(table.name.toLowerCase())) scanTable(db, table, digests);
  }
  return digests;
}

function scanTable(db: DatabaseSync, table: TableInfo, digests: TableDigests): void {
  const cols = keyedColumns(table); // a rowid table's rowid is its key column 0, as in its changesets
  const names = cols.map((c) => c.name);
  const pk = cols.map((c) => c.pk > 0);
  const stmt = db.prepare(`SELECT ${exactColumnList('t', names)} FROM main.${quoteIdent(table.name)} AS t`);
  stmt.setReadBigInts(true);
  stmt.setReturnArrays(true);
  const hasher = new CellHasher();
  const lanes = lanesOf(digests, table.name);
  for (const row of stmt.iterate() as Iterable<unknown[]>) addRowCells(hasher, lanes, table.name, pk, row, 1);
}

/**
 * Add (sign 1) or remove (-1) the cells of one row read with exactColumnList, unless a key
 * column is NULL (sessions never record such a row).
 */
export function addRowCells(hasher: CellHasher, lanes: Uint16Array, table: string, pk: readonly boolean[], row: unknown[], sign: 1 | -1): void {
  const encoded = new Array<Uint8Array>(pk.length);
  for (let i = 0; i < pk.length; i++) {
    const value = readValue(row[2 * i] as string, row[2 * i + 1]);
    if (pk[i] && value.type === 'null') return;
    const w = new ByteWriter(16);
    w.value(value);
    encoded[i] = w.finish();
  }
  hasher.row(table, keyOf({ pk }, encoded));
  for (let i = 0; i < encoded.length; i++) hasher.cell(lanes, i, encoded[i]!, sign);
}
