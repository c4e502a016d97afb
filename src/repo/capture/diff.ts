// The uncommitted difference between the base snapshot and the live database, read inside
// one read transaction on the live file with base.db attached: schema statements first,
// then row changes streamed table by table. When the live files stat as they did when they
// last equalled the log's end (fingerprint.ts), nothing is compared and base.db is not opened.
import type { DatabaseSync } from 'node:sqlite';
import type { Change } from '../../changeset/types.ts';
import { captureTable, type TablePair } from './capture.ts';
import { diffSchema, type SchemaDiff } from '../schema/schema-diff.ts';
import { keyedColumns, readSchema, trackedTables, type Schema, type TableInfo } from '../schema/schema-read.ts';
import { catchUpBase } from '../base/base.ts';
import { takeStamp, takeStampPastTick, unchangedSince } from '../pages/fingerprint.ts';
import { logEnd } from '../log/log-end.ts';
import type { PageMap } from '../pages/page-map.ts';
import { compareEverything, pageScope, type Compared, type PageScope } from '../pages/page-scope.ts';
import type { SidecarPaths } from '../sidecar.ts';
import { readSeq } from '../base/snapshot.ts';
import { attach, openDatabase, withSqliteErrors } from '../sqlite.ts';

export interface WorkingDiff {
  /** The live connection, inside the read transaction. */
  db: DatabaseSync;
  baseSeq: number;
  live: Schema;
  schema: SchemaDiff;
  untracked: TableInfo[];
  compared: Compared;
  /** The page map of what this diff read, for commit to save with the entry (page-scope.ts); null when unknown. */
  pageMap(): PageMap | null;
  /** Row changes, grouped by table, in the live schema's table order. */
  changes(): Generator<Change>;
}

/** What changed in the live database since the last log entry. Call holding the replica lock. */
export function withUncommittedDiff<T>(paths: SidecarPaths, fn: (diff: WorkingDiff) => T): T {
  const last = logEnd(paths);
  if (unchangedSince(paths, takeStamp(paths), last)) return withNothingChanged(paths.db, last, fn);
  catchUpBase(paths);
  const before = takeStampPastTick(paths); // after catching up: nearer the read transaction
  return withWorkingDiff(paths.db, paths.base, fn, (db) => pageScope(paths, db, before, last));
}

/**
 * Open the live database with `basePath` attached, start a read transaction, and give `fn`
 * the difference. Schema changes sqlferry cannot replay throw before `fn` runs.
 */
export function withWorkingDiff<T>(dbPath: string, basePath: string, fn: (diff: WorkingDiff) => T, scope?: (db: DatabaseSync) => PageScope): T {
  return withReadTransaction(dbPath, basePath, (db, live) => {
    const base = readSchema(db, 'base');
    const schema = diffSchema(base, live);
    const { compared, pageMap } = scope?.(db) ?? compareEverything('no page map is kept here');
    const pairs: TablePair[] = trackedTables(live)
      .filter((t) => compared.tables === 'all' || compared.tables.has(t.name))
      .map((t) => ({
        live: t,
        created: schema.createdTables.has(t.name),
        ...(compared.ranges?.has(t.name) ? { within: compared.ranges.get(t.name)! } : {}),
        ...(schema.addedDefaults.has(t.name) ? { addedDefaults: schema.addedDefaults.get(t.name)! } : {}),
      }));
    return fn({
      db,
      baseSeq: readSeq(db, basePath, 'base'),
      live,
      schema,
      untracked: untrackedOf(live),
      compared,
      pageMap,
      *changes() {
        for (const pair of pairs) yield* captureTable(db, pair);
      },
    });
  });
}

/** The fingerprint says the live database still equals log entry `seq`: an empty difference. */
function withNothingChanged<T>(dbPath: string, seq: number, fn: (diff: WorkingDiff) => T): T {
  return withReadTransaction(dbPath, undefined, (db, live) =>
    fn({
      db,
      baseSeq: seq,
      live,
      schema: { statements: [], addedDefaults: new Map(), createdTables: new Set() },
      untracked: untrackedOf(live),
      compared: { tables: new Set(), why: `nothing changed since commit ${seq} (the database files stat as then): no table read` },
      pageMap: () => null,
      *changes() {},
    }),
  );
}

/** `body` inside one read transaction on the live database, `basePath` attached as `base`. */
function withReadTransaction<T>(dbPath: string, basePath: string | undefined, body: (db: DatabaseSync, live: Schema) => T): T {
  const db = openDatabase(dbPath);
  try {
    return withSqliteErrors(dbPath, () => {
      if (basePath !== undefined) attach(db, basePath, 'base');
      db.exec('BEGIN');
      try {
        return body(db, readSchema(db, 'main')); // the first read: the snapshot starts here
      } finally {
        db.exec('COMMIT');
      }
    });
  } finally {
    db.close();
  }
}

function untrackedOf(live: Schema): TableInfo[] {
  return [...live.tables.values()].filter((t) => t.untracked !== undefined);
}

/** Column names per table, for rendering changes as SQL (a table tracked by rowid has its rowid first, as its changes do). */
export function columnNamesOf(schema: Schema): (table: { name: string }) => string[] | undefined {
  return (table) => {
    const info = schema.tables.get(table.name);
    return info === undefined ? undefined : keyedColumns(info).map((c) => c.name);
  };
}

/** The same, read from the database file at `dbPath` (opened read-only, closed before returning). */
export function columnNamesIn(dbPath: string): (table: { name: string }) => string[] | undefined {
  const db = openDatabase(dbPath, { readOnly: true });
  try {
    return columnNamesOf(readSchema(db));
  } finally {
    db.close();
  }
}
