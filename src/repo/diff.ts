// The uncommitted difference between the base snapshot and the live database, read inside
// one read transaction on the live file with base.db attached: schema statements first,
// then row changes streamed table by table.
import type { DatabaseSync } from 'node:sqlite';
import type { Change } from '../changeset/types.ts';
import { captureTable, type TablePair } from './capture.ts';
import { diffSchema, type SchemaDiff } from './schema-diff.ts';
import { keyedColumns, readSchema, trackedTables, type Schema, type TableInfo } from './schema-read.ts';
import { catchUpBase } from './base.ts';
import type { SidecarPaths } from './sidecar.ts';
import { readSeq } from './snapshot.ts';
import { attach, openDatabase, withSqliteErrors } from './sqlite.ts';

export interface WorkingDiff {
  /** The live connection, inside the read transaction. */
  db: DatabaseSync;
  baseSeq: number;
  live: Schema;
  schema: SchemaDiff;
  untracked: TableInfo[];
  /** Row changes, grouped by table, in the live schema's table order. */
  changes(): Generator<Change>;
}

/** What changed in the live database since the last log entry. Call holding the replica lock. */
export function withUncommittedDiff<T>(paths: SidecarPaths, fn: (diff: WorkingDiff) => T): T {
  catchUpBase(paths);
  return withWorkingDiff(paths.db, paths.base, fn);
}

/**
 * Open the live database with `basePath` attached, start a read transaction, and give `fn`
 * the difference. Schema changes sqlferry cannot replay throw before `fn` runs.
 */
export function withWorkingDiff<T>(dbPath: string, basePath: string, fn: (diff: WorkingDiff) => T): T {
  const db = openDatabase(dbPath);
  try {
    return withSqliteErrors(dbPath, () => {
      attach(db, basePath, 'base');
      db.exec('BEGIN');
      try {
        const live = readSchema(db, 'main'); // the first read: the snapshot starts here
        const base = readSchema(db, 'base');
        const schema = diffSchema(base, live);
        const pairs: TablePair[] = trackedTables(live).map((t) => ({
          live: t,
          created: schema.createdTables.has(t.name),
          ...(schema.addedDefaults.has(t.name) ? { addedDefaults: schema.addedDefaults.get(t.name)! } : {}),
        }));
        const untracked = [...live.tables.values()].filter((t) => t.untracked !== undefined);
        return fn({
          db,
          baseSeq: readSeq(db, basePath, 'base'),
          live,
          schema,
          untracked,
          *changes() {
            for (const pair of pairs) yield* captureTable(db, pair);
          },
        });
      } finally {
        db.exec('COMMIT');
      }
    });
  } finally {
    db.close();
  }
}

/** Column names per table, for rendering changes as SQL. */
export function columnNamesOf(schema: Schema): (table: { name: string }) => string[] | undefined {
  return (table) => {
    const info = schema.tables.get(table.name);
    return info === undefined ? undefined : keyedColumns(info).map((c) => c.name);
  };
}
