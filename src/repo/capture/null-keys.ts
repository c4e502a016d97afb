// Rows with a NULL in a key column: a session never records them (it cannot tell them apart),
// so neither does capture. SQLite allows such keys only in a rowid table whose PRIMARY KEY is
// not an INTEGER PRIMARY KEY and whose key columns are not NOT NULL. They are counted, so
// status, commit and sync can say how many rows of which table do not travel.
import type { DatabaseSync } from 'node:sqlite';
import { quoteIdent } from '../../changeset/value.ts';
import type { Replica } from '../replica.ts';
import { readSchema, trackedTables, type Schema } from '../schema/schema-read.ts';
import { openDatabase, withSqliteErrors } from '../sqlite.ts';

export interface NullKeyRows {
  table: string;
  /** Rows of the live database with a NULL in a key column. */
  rows: number;
}

export function countNullKeys(db: DatabaseSync, schema: Schema): NullKeyRows[] {
  const out: NullKeyRows[] = [];
  for (const t of trackedTables(schema)) {
    const keys = t.columns.filter((c) => c.pk > 0);
    if (t.withoutRowid || keys.length === 0 || (keys.length === 1 && keys[0]!.type.toUpperCase() === 'INTEGER')) continue;
    const notNull = new Set((db.prepare('SELECT name FROM pragma_table_xinfo(?) WHERE "notnull"').all(t.name) as Array<{ name: string }>).map((r) => r.name));
    const nullable = keys.filter((k) => !notNull.has(k.name));
    if (nullable.length === 0) continue;
    const where = nullable.map((k) => `${quoteIdent(k.name)} IS NULL`).join(' OR ');
    const { n } = db.prepare(`SELECT count(*) AS n FROM main.${quoteIdent(t.name)} WHERE ${where}`).get() as { n: bigint | number };
    if (Number(n) > 0) out.push({ table: t.name, rows: Number(n) });
  }
  return out;
}

/** The live database's rows with a NULL key, read in one read transaction. */
export function nullKeyRows(replica: Replica): NullKeyRows[] {
  const path = replica.paths.db;
  const db = openDatabase(path, { readOnly: true });
  try {
    return withSqliteErrors(path, () => {
      db.exec('BEGIN');
      try {
        return countNullKeys(db, readSchema(db));
      } finally {
        db.exec('COMMIT');
      }
    });
  } finally {
    db.close();
  }
}

/** One line per table, for stderr. */
export function nullKeyNote(n: NullKeyRows): string {
  return `note: ${n.rows} row${n.rows === 1 ? '' : 's'} of ${n.table} ${n.rows === 1 ? 'has' : 'have'} a NULL in a key column: sqlferry cannot capture or sync ${n.rows === 1 ? 'it' : 'them'} (make the key NOT NULL, or give the rows a key)`;
}
