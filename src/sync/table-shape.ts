// What conflict handling needs to know about a table: column names, its key, its UNIQUE
// indexes and the foreign keys that point at it. Read once per pull from the live schema.
import type { DatabaseSync } from 'node:sqlite';
import type { SqlValue } from '../changeset/types.ts';
import { quoteIdent } from '../changeset/value.ts';
import { keyedColumns, readTable } from '../repo/schema/schema-read.ts';
import { readValues } from '../repo/capture/values.ts';
import { SqlferryError } from '../errors/index.ts';

export interface ForeignKey {
  /** The referencing table and columns. */
  table: string;
  from: string[];
  /** The referenced table and columns (its primary key when the declaration names none). */
  parent: string;
  to: string[];
}

export interface TableShape {
  name: string;
  columns: string[];
  /** Column positions of the primary key, in key order. */
  pk: number[];
  /** True for an INTEGER PRIMARY KEY (a rowid alias) or a rowid key: the key `rekey` can renumber. */
  integerKey: boolean;
  /** UNIQUE constraints and unique indexes other than the primary key, as column positions. */
  unique: number[][];
  /**
   * Each column's DEFAULT as SQLite stores it in a new row (affinity applied). A local change
   * captured before the hub added a column (ALTER TABLE ADD COLUMN) has fewer columns than the
   * table: its rows take these values for the columns added since, as SQLite's own apply does.
   */
  defaults(): SqlValue[];
}

export class Shapes {
  private readonly db: DatabaseSync;
  private readonly cache = new Map<string, TableShape>();
  private fks: ForeignKey[] | undefined;

  constructor(db: DatabaseSync) {
    this.db = db;
  }

  of(table: string): TableShape {
    let shape = this.cache.get(table);
    if (!shape) {
      shape = readShape(this.db, table);
      this.cache.set(table, shape);
    }
    return shape;
  }

  /** Every foreign key in the database. */
  foreignKeys(): ForeignKey[] {
    if (this.fks) return this.fks;
    const tables = this.db.prepare("SELECT name FROM main.sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as Array<{ name: string }>;
    const fks: ForeignKey[] = [];
    for (const { name } of tables) {
      const rows = this.db.prepare('SELECT id, "table" AS parent, "from", "to" FROM pragma_foreign_key_list(?) ORDER BY id, seq').all(name) as Array<{ id: bigint; parent: string; from: string; to: string | null }>;
      const byId = new Map<bigint, ForeignKey>();
      for (const r of rows) {
        let fk = byId.get(r.id);
        if (!fk) byId.set(r.id, (fk = { table: name, from: [], parent: r.parent, to: [] }));
        fk.from.push(r.from);
        fk.to.push(r.to ?? '');
      }
      for (const fk of byId.values()) {
        if (fk.to.some((c) => c === '')) fk.to = this.of(fk.parent).pk.map((i) => this.of(fk.parent).columns[i]!);
        fks.push(fk);
      }
    }
    return (this.fks = fks);
  }
}

function readShape(db: DatabaseSync, table: string): TableShape {
  const info = readTable(db, table);
  if (info === undefined) throw new SqlferryError('SCHEMA_MISMATCH', `there is no table "${table}" in the database`, { data: { table } });
  // A table tracked by rowid has the rowid as its first column and key, as in its changesets.
  const cols = keyedColumns(info).map((c) => ({ name: c.name, type: c.type, pk: c.pk, dflt_value: c.dflt }));
  const columns = cols.map((c) => c.name);
  const pk = cols
    .map((c, i) => ({ i, order: Number(c.pk) }))
    .filter((c) => c.order > 0)
    .sort((a, b) => a.order - b.order)
    .map((c) => c.i);
  const integerKey = pk.length === 1 && cols[pk[0]!]!.type.toUpperCase() === 'INTEGER';
  const indexes = db.prepare("SELECT name FROM pragma_index_list(?) WHERE \"unique\" = 1 AND origin <> 'pk' AND partial = 0").all(table) as Array<{ name: string }>;
  const unique = indexes.map(({ name }) =>
    (db.prepare('SELECT name FROM pragma_index_info(?) ORDER BY seqno').all(name) as Array<{ name: string | null }>).map((c) => columns.indexOf(c.name ?? '')),
  ).filter((idx) => idx.every((i) => i >= 0));
  let defaults: SqlValue[] | undefined;
  return { name: table, columns, pk, integerKey, unique, defaults: () => (defaults ??= defaultRow(db, cols)) };
}

/** One row inserted with DEFAULT VALUES into a TEMP table of the same column types and defaults. */
function defaultRow(db: DatabaseSync, cols: Array<{ name: string; type: string; dflt_value: string | null }>): SqlValue[] {
  const scratch = 'sqlferry_defaults';
  const defs = cols.map((c, i) => `c${i} ${c.type.replace(/[^A-Za-z0-9_ (),.+-]/g, '')}${c.dflt_value === null ? '' : ` DEFAULT (${c.dflt_value})`}`);
  db.exec(`DROP TABLE IF EXISTS temp.${scratch}; CREATE TEMP TABLE ${scratch}(${defs.join(', ')}); INSERT INTO temp.${scratch} DEFAULT VALUES`);
  try {
    const sel = cols.map((_, i) => `typeof(c${i}), CASE WHEN typeof(c${i}) = 'text' THEN CAST(c${i} AS BLOB) ELSE c${i} END`).join(', ');
    const stmt = db.prepare(`SELECT ${sel} FROM temp.${quoteIdent(scratch)}`);
    stmt.setReadBigInts(true);
    stmt.setReturnArrays(true);
    return readValues(stmt.get() as unknown as unknown[], 0, cols.length);
  } finally {
    db.exec(`DROP TABLE temp.${scratch}`);
  }
}
