// What a database holds, as sqlferry sees it: schema objects (for schema capture) and
// tables with their columns and primary key (for row capture).
import type { DatabaseSync } from 'node:sqlite';
import { quoteIdent } from '../../changeset/value.ts';
import { virtualTableSql, virtualTableTracking } from './virtual-tables.ts';

export const BASE_SEQ_TABLE = 'sqlferry_base';

export type ObjectType = 'table' | 'index' | 'view' | 'trigger';

export interface SchemaObject {
  type: ObjectType;
  name: string;
  table: string;
  sql: string;
}

export interface Column {
  name: string;
  type: string;
  /** The DEFAULT expression as written, or null. */
  dflt: string | null;
  /** 1-based position in the PRIMARY KEY, 0 when not part of it. */
  pk: number;
}

export interface TableInfo {
  name: string;
  columns: Column[];
  withoutRowid: boolean;
  /**
   * Tracked by rowid (no PRIMARY KEY, or a full-text or R*Tree table that keeps its own rows):
   * the name that addresses the rowid here. Changesets hold it as an implicit first key
   * column, as a session configured with SQLITE_SESSION_OBJCONFIG_ROWID records it.
   */
  rowid?: string;
  /** Why sqlferry cannot track it, or undefined when tracked. */
  untracked?: string;
  /** An external-content full-text index: the table it indexes (it is rebuilt, not shipped). */
  indexes?: string;
}

export interface Schema {
  /** In creation order (sqlite_schema rowid), without SQLite's own and sqlferry's objects. */
  objects: SchemaObject[];
  tables: Map<string, TableInfo>;
}

/** Tables sqlferry never captures: SQLite's internal ones and its own bookkeeping table. */
function internal(name: string): boolean {
  return name.toLowerCase().startsWith('sqlite_') || name === BASE_SEQ_TABLE;
}

export function readSchema(db: DatabaseSync, schema = 'main'): Schema {
  const q = quoteIdent(schema);
  const order = new Map((db.prepare(`SELECT name FROM ${q}.sqlite_schema WHERE type = 'table' ORDER BY rowid`).all() as Array<{ name: string }>).map((r, i) => [r.name, i]));
  // In creation order, so output lists tables the way the schema does.
  const listed = (db.prepare(`PRAGMA ${q}.table_list`).all() as Array<{ name: string; type: string; schema: string; wr: bigint }>).sort(
    (a, b) => (order.get(a.name) ?? -1) - (order.get(b.name) ?? -1),
  );
  const tables = new Map<string, TableInfo>();
  const skipped = new Set<string>();
  for (const t of listed) {
    if (t.schema !== schema || internal(t.name) || t.type === 'view') continue;
    if (t.type === 'shadow') {
      skipped.add(t.name); // a virtual table's storage: it follows its virtual table
      continue;
    }
    const info = tableInfo(db, schema, t.name, t.type, Number(t.wr) === 1);
    if (t.type === 'virtual') skipped.add(t.name);
    tables.set(t.name, info);
  }
  const objects = (db.prepare(`SELECT type, name, tbl_name AS "table", sql FROM ${q}.sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid`).all() as unknown as SchemaObject[]).filter(
    (o) => !internal(o.name) && !internal(o.table) && !(o.type === 'table' && skipped.has(o.name) && !tables.has(o.name)),
  );
  return { objects, tables };
}

/** One table as readSchema sees it, or undefined when there is none (or it is a view or a virtual table's storage). */
export function readTable(db: DatabaseSync, name: string, schema = 'main'): TableInfo | undefined {
  const t = db.prepare(`SELECT name, type, wr FROM pragma_table_list WHERE schema = ? AND name = ? COLLATE NOCASE`).get(schema, name) as { name: string; type: string; wr: bigint } | undefined;
  if (t === undefined || (t.type !== 'table' && t.type !== 'virtual')) return undefined;
  return tableInfo(db, schema, t.name, t.type, Number(t.wr) === 1);
}

function tableInfo(db: DatabaseSync, schema: string, name: string, type: string, withoutRowid: boolean): TableInfo {
  const columns = (db.prepare(`SELECT name, type, dflt_value AS dflt, pk FROM pragma_table_info(?, ?) ORDER BY cid`).all(name, schema) as Array<{ name: string; type: string; dflt: string | null; pk: bigint }>).map((c) => ({ ...c, pk: Number(c.pk) }));
  const info: TableInfo = { name, columns, withoutRowid };
  if (type === 'virtual') Object.assign(info, virtualTableTracking(virtualTableSql(db, quoteIdent(schema), name)));
  if (info.untracked === undefined && info.indexes === undefined && !columns.some((c) => c.pk > 0)) {
    info.rowid = ROWID_NAMES.find((r) => !columns.some((c) => c.name.toLowerCase() === r));
    if (info.rowid === undefined) info.untracked = 'it has no PRIMARY KEY and its columns named rowid, _rowid_ and oid hide the rowid, so a row cannot be identified';
  }
  return info;
}

export function trackedTables(schema: Schema): TableInfo[] {
  return [...schema.tables.values()].filter((t) => t.untracked === undefined && t.indexes === undefined);
}

/** The names SQLite gives the rowid, in the order sqlferry picks the first one no column hides. */
const ROWID_NAMES = ['rowid', '_rowid_', 'oid'];

/** The columns as changesets hold them: a table tracked by rowid has the rowid first, as its key. */
export function keyedColumns(table: TableInfo): Column[] {
  if (table.rowid === undefined) return table.columns;
  return [{ name: table.rowid, type: 'INTEGER', dflt: null, pk: 1 }, ...table.columns.map((c) => ({ ...c, pk: 0 }))];
}

export function pkIndex(table: TableInfo): number[] {
  return table.columns.map((c) => c.pk);
}

/**
 * Whether a column can hold an INTEGER and a REAL that compare equal (1 and 1.0): only
 * without affinity (BLOB, no type, STRICT ANY). INTEGER and NUMERIC affinity turn such a
 * REAL into an INTEGER, REAL affinity turns integers into REALs, TEXT turns both into text.
 * https://sqlite.org/datatype3.html#determination_of_column_affinity
 */
/** REAL affinity (rule 4, after rules 1–3 of the page above): a value stored as an integer reads as a REAL. */
export function hasRealAffinity(declared: string): boolean {
  const type = declared.toUpperCase();
  return !type.includes('INT') && !/CHAR|CLOB|TEXT/.test(type) && !(type === '' || type.includes('BLOB')) && /REAL|FLOA|DOUB/.test(type);
}

export function mayHoldEqualValuesOfTwoTypes(col: Column): boolean {
  const type = col.type.toUpperCase();
  if (type.includes('INT') || /CHAR|CLOB|TEXT/.test(type) || /REAL|FLOA|DOUB/.test(type)) return false;
  return type === '' || type.includes('BLOB') || /\bANY\b/.test(type);
}
