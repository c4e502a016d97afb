// The content digest of a database read from its rows (src/changeset/digest.ts says what it
// is): one scan per tracked table, each value encoded as a changeset encodes it, so a scan
// and the sum of every changeset since the start agree bit for bit. Rows with a NULL in a
// key column are left out, as sessions leave them out of changesets. A table tracked by rowid
// is read with its rowid as column 0, the key, as its changesets hold it.
import type { DatabaseSync } from 'node:sqlite';
import { lanesOf, type TableDigests } from '../changeset/digest.ts';
import { CellBatch } from '../changeset/digest-cells.ts';
import { quoteIdent } from '../changeset/value.ts';
import { keyedColumns, readSchema, trackedTables, type TableInfo } from './schema/schema-read.ts';
import { exactColumnList } from './capture/values.ts';

/** The digests of every tracked table of `db`, or of the tables named in `only` (lower-cased: names are case-blind). */
export function scanDigests(db: DatabaseSync, only?: ReadonlySet<string>): TableDigests {
  const digests: TableDigests = new Map();
  const cells = new CellBatch();
  for (const table of trackedTables(readSchema(db))) {
    if (only === undefined || only.has(table.name.toLowerCase())) scanTable(db, table, cells, digests);
  }
  cells.finish();
  return digests;
}

/** One table's cells added to its digest in `digests`, read by SQL. */
export function scanTable(db: DatabaseSync, table: TableInfo, cells: CellBatch, digests: TableDigests): void {
  const cols = keyedColumns(table); // a rowid table's rowid is its key column 0, as in its changesets
  const names = cols.map((c) => c.name);
  const pk = cols.map((c) => c.pk > 0);
  const stmt = db.prepare(`SELECT ${exactColumnList('t', names)} FROM main.${quoteIdent(table.name)} AS t`);
  stmt.setReadBigInts(true);
  stmt.setReturnArrays(true);
  const name = Buffer.from(table.name, 'utf8');
  cells.target(lanesOf(digests, table.name));
  for (const row of stmt.iterate() as Iterable<unknown[]>) addRowCells(cells, name, pk, row, 1);
}

/**
 * Add (sign 1) or remove (-1) the cells of one row read with exactColumnList, of the table
 * named `name` (UTF-8), unless a key column is NULL (sessions never record such a row).
 */
export function addRowCells(cells: CellBatch, name: Uint8Array, pk: readonly boolean[], row: unknown[], sign: 1 | -1): void {
  for (let i = 0; i < pk.length; i++) if (pk[i] && row[2 * i] === 'null') return;
  cells.row(name);
  for (let i = 0; i < pk.length; i++) if (pk[i]) cells.keyValue(row[2 * i] as string, row[2 * i + 1]);
  for (let i = 0; i < pk.length; i++) cells.cellValue(i, row[2 * i] as string, row[2 * i + 1], sign);
}
