// Row capture: the changes that turn the base snapshot (attached as `base`) into the live
// database, as SQLite's session module would record them. Runs inside one read transaction
// on the live connection; rows stream from SQLite to the caller, one at a time.
// Per table two passes: base rows LEFT JOIN live rows (deletes and updates), then live rows
// missing from the base (inserts), so every DELETE of a key comes before its re-INSERT.
// Rows match on the primary key compared by type and bytes (a key changed only in case
// under NOCASE is a delete plus an insert); a column differs when its bytes or its type
// differ (1 vs 1.0, 'a' vs 'A'). Rows with a NULL in a key column are skipped, as sessions do
// (null-keys.ts counts them for status, commit and sync). A table tracked by rowid has the
// rowid as an implicit first key column (keyedColumns).
import type { DatabaseSync } from 'node:sqlite';
import type { Change, SqlValue, TableHeader } from '../../changeset/types.ts';
import { quoteIdent, sqlLiteral, sameValue, UNDEFINED } from '../../changeset/value.ts';
import { exactColumnList, exactColumns, readValues } from './values.ts';
import { scansOf, type KeyRanges } from '../pages/key-ranges.ts';
import { keyedColumns, mayHoldEqualValuesOfTwoTypes, type Column, type TableInfo } from '../schema/schema-read.ts';

export interface TablePair {
  live: TableInfo;
  /** For tables that exist in the base: the base value of each column added since (ADD COLUMN). */
  addedDefaults?: SqlValue[];
  /** The table is new: every live row is an insert. */
  created: boolean;
  /** Only rows in these key ranges can differ (key-ranges.ts); the whole table when absent. */
  within?: KeyRanges;
}

export function headerOf(table: TableInfo): TableHeader {
  const cols = keyedColumns(table);
  return { name: table.name, pk: cols.map((c) => c.pk > 0), pkIndex: cols.map((c) => c.pk) };
}

/** Where the two sides live on the connection: today's database and the base snapshot. */
export interface Sides {
  live: string;
  base: string;
}

/** The live database is `main`, base.db attached as `base` (status, diff, verify). */
export const LIVE_MAIN: Sides = { live: 'main', base: 'base' };

export function* captureTable(db: DatabaseSync, pair: TablePair, sides: Sides = LIVE_MAIN): Generator<Change> {
  const table = pair.live;
  const header = headerOf(table);
  const n = header.pk.length;
  const sql = comparisonSql(table, pair.addedDefaults);
  const t = quoteIdent(table.name);
  const [live, base] = [quoteIdent(sides.live), quoteIdent(sides.base)];
  const scan = scansOf(db, table.name, pair.within);
  const allLive = exactColumnList('A', sql.cols.map((c) => c.name));
  const inserts = function* (query: string): Generator<Change> {
    for (const row of rows(db, query)) yield { table: header, op: 'INSERT', indirect: false, old: undefined, new: readValues(row, 0, n) };
  };
  if (pair.created) {
    yield* inserts(`SELECT ${allLive} FROM ${scan(sides.live, 'A')} WHERE ${sql.liveKeyNotNull}`);
    return;
  }
  const allBase = sql.cols.map((_, i) => exactColumns(sql.b(i))).join(', ');
  const query = `SELECT ${allLive}, ${allBase} FROM ${scan(sides.base, 'B')} LEFT JOIN ${live}.${t} AS A ON ${sql.sameKey} WHERE ${sql.baseKeyNotNull} AND (${sql.goneOrDiffers})`;
  for (const row of rows(db, query)) {
    const before = readValues(row, 2 * n, n);
    if (row[2 * sql.keys[0]!] === 'null') yield { table: header, op: 'DELETE', indirect: false, old: before, new: undefined };
    else yield updateOf(header, before, readValues(row, 0, n));
  }
  yield* inserts(`SELECT ${allLive} FROM ${scan(sides.live, 'A')} LEFT JOIN ${base}.${t} AS B ON ${sql.sameKey} WHERE ${sql.liveKeyNotNull} AND ${sql.baseMissing}`);
}

/**
 * The SQL that compares a table's live rows (alias A) with its base rows (alias B), written once
 * for the capture in JavaScript and for the capture SQLite writes into the base (capture-base.ts).
 */
export interface ComparisonSql {
  cols: Column[];
  /** Indexes of the key columns in `cols`. */
  keys: number[];
  /** Column i of the base row (or the value an added column has there). */
  b: (i: number) => string;
  a: (i: number) => string;
  sameKey: string;
  /** The base row has no live row with its key, or a column differs. */
  goneOrDiffers: string;
  /** Per column: the live value differs from the base value ('' for key columns). */
  differs: string[];
  baseKeyNotNull: string;
  liveKeyNotNull: string;
  /** After a LEFT JOIN to B: no base row has the live row's key. */
  baseMissing: string;
  /** After a LEFT JOIN to A: no live row has the base row's key. */
  liveMissing: string;
}

export function comparisonSql(table: TableInfo, addedDefaults?: SqlValue[]): ComparisonSql {
  const cols = keyedColumns(table);
  const n = cols.length;
  const header = headerOf(table);
  const a = (i: number): string => `A.${quoteIdent(cols[i]!.name)}`;
  const baseCount = n - (addedDefaults?.length ?? 0);
  const b = (i: number): string => (i < baseCount ? `B.${quoteIdent(cols[i]!.name)}` : sqlLiteral(addedDefaults![i - baseCount]!));
  const keys = cols.map((_, i) => i).filter((i) => header.pk[i]);
  const notNull = (expr: (i: number) => string): string => keys.map((i) => `${expr(i)} IS NOT NULL`).join(' AND ');
  const sameKey = keys.map((i) => `${a(i)} = ${b(i)}${exactKeyCheck(table, cols, i, a(i), b(i))}`).join(' AND ');
  const differs = cols.map((c, i) => (header.pk[i] ? '' : `${a(i)} IS NOT ${b(i)} COLLATE BINARY${mayHoldEqualValuesOfTwoTypes(c) ? ` OR typeof(${a(i)}) <> typeof(${b(i)})` : ''}`));
  const liveMissing = `${a(keys[0]!)} IS NULL`;
  return {
    cols,
    keys,
    a,
    b,
    sameKey,
    differs,
    goneOrDiffers: [liveMissing, ...differs.filter((s) => s !== '')].join(' OR '),
    baseKeyNotNull: notNull(b),
    liveKeyNotNull: notNull(a),
    // LEFT JOIN … IS NULL rather than NOT EXISTS: SQLite runs it about twice as fast.
    baseMissing: `${b(keys[0]!)} IS NULL`,
    liveMissing,
  };
}

/**
 * The join uses the key's own collation so its index serves it; a rowid key needs nothing
 * more, other keys must also match byte for byte (and by type where the column allows 1 and 1.0).
 */
function exactKeyCheck(table: TableInfo, cols: Column[], i: number, a: string, b: string): string {
  const col = cols[i]!;
  const rowidAlias = !table.withoutRowid && col.type.toUpperCase() === 'INTEGER' && cols.filter((c) => c.pk > 0).length === 1;
  if (rowidAlias) return '';
  return ` AND ${a} = ${b} COLLATE BINARY${mayHoldEqualValuesOfTwoTypes(col) ? ` AND typeof(${a}) = typeof(${b})` : ''}`;
}

/** A session UPDATE: old.* holds the key and the changed columns, new.* only the changed columns. */
export function updateOf(header: TableHeader, before: SqlValue[], after: SqlValue[]): Change {
  const old = new Array<SqlValue>(before.length);
  const next = new Array<SqlValue>(before.length);
  for (let i = 0; i < before.length; i++) {
    if (header.pk[i]) {
      old[i] = before[i]!;
      next[i] = UNDEFINED;
    } else if (sameValue(before[i]!, after[i]!)) {
      old[i] = UNDEFINED;
      next[i] = UNDEFINED;
    } else {
      old[i] = before[i]!;
      next[i] = after[i]!;
    }
  }
  return { table: header, op: 'UPDATE', indirect: false, old, new: next };
}

function* rows(db: DatabaseSync, sql: string): Generator<unknown[]> {
  const stmt = db.prepare(sql);
  stmt.setReadBigInts(true);
  stmt.setReturnArrays(true);
  yield* stmt.iterate() as Iterable<unknown[]>;
}
