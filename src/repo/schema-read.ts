// What a database holds, as sqlferry sees it: schema objects (for schema capture) and
// tables with their columns and primary key (for row capture).
import type { DatabaseSync } from 'node:sqlite';
import { quoteIdent } from '../changeset/value.ts';

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
  /** Why sessions cannot track it (no PRIMARY KEY, virtual table), or undefined when tracked. */
  untracked?: string;
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
    const columns = (db.prepare(`SELECT name, type, dflt_value AS dflt, pk FROM pragma_table_info(?, ?) ORDER BY cid`).all(t.name, schema) as Array<{ name: string; type: string; dflt: string | null; pk: bigint }>).map((c) => ({ ...c, pk: Number(c.pk) }));
    const info: TableInfo = { name: t.name, columns, withoutRowid: Number(t.wr) === 1 };
    if (t.type === 'virtual') {
      info.untracked = 'it is a virtual table: its content lives in its module, which changesets cannot describe';
      skipped.add(t.name);
    } else if (!columns.some((c) => c.pk > 0)) {
      info.untracked = 'it has no PRIMARY KEY, so a changed row cannot be identified; add a PRIMARY KEY (recreate the table with one) to track it';
    }
    tables.set(t.name, info);
  }
  const objects = (db.prepare(`SELECT type, name, tbl_name AS "table", sql FROM ${q}.sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid`).all() as unknown as SchemaObject[]).filter(
    (o) => !internal(o.name) && !internal(o.table) && !(o.type === 'table' && skipped.has(o.name) && !tables.has(o.name)),
  );
  return { objects, tables };
}

export function trackedTables(schema: Schema): TableInfo[] {
  return [...schema.tables.values()].filter((t) => t.untracked === undefined);
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
export function mayHoldEqualValuesOfTwoTypes(col: Column): boolean {
  const type = col.type.toUpperCase();
  if (type.includes('INT') || /CHAR|CLOB|TEXT/.test(type) || /REAL|FLOA|DOUB/.test(type)) return false;
  return type === '' || type.includes('BLOB') || /\bANY\b/.test(type);
}
