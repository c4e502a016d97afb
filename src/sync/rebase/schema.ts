// Local commits carrying schema statements rebase like their data, in the pull's transaction
// (docs/ARCHITECTURE.md, "Sync"): undone newest first before the hub's entries, re-applied in
// order after them, before the local data. The session that records the new local commit is
// created after the re-applied statements (rebase/index.ts), so it sees the new tables and
// columns as any other; the statements themselves travel in the new commit's metadata.
import type { DatabaseSync } from 'node:sqlite';
import { concatChangesets } from '../../changeset/index.ts';
import { SqlferryError, EXIT } from '../../errors/index.ts';
import type { LogEntry, LogEntryFile } from '../../repo/log/log.ts';
import { alteredTable, cannotUndo, isUndoable, undoEntry } from '../../repo/schema/undo-schema.ts';
import { widenedBytes } from './widen-local.ts';
import { runSchemaStatements } from '../../repo/schema/schema-guard.ts';

export interface UndoneSchema {
  /** The local statements in commit order, each with the name of what it created. */
  statements: Array<{ sql: string; name: string }>;
  /** The columns, as the local commits left them, of each table they added columns to. */
  layouts: Map<string, string[]>;
}

/** Refuses (before any transaction) local statements without an exact reverse: DROP …, triggers. */
export function refuseNonAdditive(local: ReadonlyArray<LogEntry | LogEntryFile>): void {
  const sql = local.flatMap((e) => e.meta.schema).find((s) => !isUndoable(s));
  if (sql !== undefined) throw cannotUndo(sql, 'only CREATE TABLE / INDEX / VIEW and ADD COLUMN can be undone and redone');
}

/** The local commits' data squashed into one changeset, as the rebase re-applies it; `db` has their schema. */
export function squashLocal(db: DatabaseSync, local: LogEntry[]): Uint8Array {
  return concatChangesets(widenedBytes(db, local));
}

/** Undo the local commits on the live database, newest first: data, then schema statements. */
export function undoLocal(db: DatabaseSync, local: ReadonlyArray<LogEntry | LogEntryFile>): UndoneSchema {
  const layouts = new Map<string, string[]>();
  for (const sql of local.flatMap((e) => e.meta.schema)) {
    const table = alteredTable(sql);
    if (table !== undefined && !layouts.has(table)) layouts.set(table, columnsOf(db, table));
  }
  const statements: UndoneSchema['statements'] = [];
  for (const e of [...local].reverse()) statements.unshift(...undoEntry(db, e).map((r, i) => ({ sql: e.meta.schema[i]!, name: r.name })));
  return { statements, layouts };
}

/** Re-apply the local statements on the hub's schema; a collision refuses the whole pull. */
export function redoLocal(db: DatabaseSync, undone: UndoneSchema, hubStatements: string[]): void {
  for (const { sql, name } of undone.statements) {
    try {
      runSchemaStatements(db, [sql], 'a local commit');
    } catch (err) {
      if (err instanceof SqlferryError && err.code === 'SCHEMA_STATEMENT_REFUSED') throw err;
      throw collision(sql, hubStatementAbout(name, hubStatements), (err as Error).message);
    }
  }
  // The local rows name columns by position: an ADD COLUMN of the hub's on the same table would shift them.
  for (const [table, columns] of undone.layouts) {
    if (columnsOf(db, table).join('\u0000') !== columns.join('\u0000')) {
      const sql = undone.statements.find((s) => alteredTable(s.sql) === table)!.sql;
      throw collision(sql, hubStatementAbout(table, hubStatements), `the hub changed the columns of "${table}" too`);
    }
  }
}

function hubStatementAbout(name: string, hubStatements: string[]): string {
  const lower = name.toLowerCase();
  return hubStatements.find((s) => s.toLowerCase().includes(lower)) ?? hubStatements.at(-1) ?? 'schema';
}

function collision(local: string, hub: string, why: string): SqlferryError {
  return new SqlferryError('SCHEMA_REBASE_CONFLICT', `cannot rebase: the local \`${local}\` does not apply after the hub's \`${hub}\` (${why}), so nothing was applied — clone the hub again and redo your change there under another name, or without it if the hub's is the same`, {
    data: { local, hub },
    exitCode: EXIT.failure,
    hint: 'your commits are untouched; copy their rows into the fresh clone and push right away',
  });
}

function columnsOf(db: DatabaseSync, table: string): string[] {
  return (db.prepare('SELECT name FROM pragma_table_xinfo(?, ?) ORDER BY cid').all(table, 'main') as Array<{ name: string }>).map((c) => c.name);
}
