// Applying changesets to a database (base snapshot, pull, revert) so that what the
// changeset already holds happens exactly once:
// - foreign keys are off on our connection (set before BEGIN: the pragma is a no-op inside
//   a transaction), so ON DELETE CASCADE cannot delete rows the changeset deletes itself;
// - the database's triggers are dropped and re-created inside the same transaction, so a
//   trigger's effect, already captured in the changeset, is not applied a second time;
// - the file is checked whole before SQLite sees it (applyValidated): SQLite crashes on some
//   malformed files, and silently skips a missing table or one whose columns differ, which
//   would lose the change.
import { constants, type DatabaseSync } from 'node:sqlite';
import { validateChangeset } from '../../changeset/index.ts';
import type { ChangesetKind, TableHeader } from '../../changeset/types.ts';
import { quoteIdent } from '../../changeset/value.ts';
import { SqlferryError, EXIT } from '../../errors/index.ts';
import { beginImmediate, preparedOnce, rollbackQuietly } from '../sqlite.ts';
import { runSchemaStatements } from '../schema/schema-guard.ts';
import { rebuildFullTextIndexes } from '../schema/virtual-tables.ts';

export interface ApplyTransactionOptions {
  /** Run PRAGMA foreign_key_check before COMMIT and refuse dangling references. */
  foreignKeyCheck?: boolean;
}

/**
 * BEGIN IMMEDIATE on `db` with foreign keys suspended, run `fn`, then COMMIT — or ROLLBACK
 * if `fn` throws, leaving the database exactly as it was. `path` names the file in messages.
 */
export function withApplyTransaction<T>(db: DatabaseSync, path: string, fn: () => T, opts: ApplyTransactionOptions = {}): T {
  const fkWas = (db.prepare('PRAGMA foreign_keys').get() as { foreign_keys: bigint | number }).foreign_keys;
  db.exec('PRAGMA foreign_keys = OFF');
  try {
    beginImmediate(db, path);
    try {
      const result = fn();
      if (opts.foreignKeyCheck) refuseDanglingReferences(db);
      db.exec('COMMIT');
      return result;
    } catch (err) {
      rollbackQuietly(db);
      abandonSuspension(db);
      throw err;
    }
  } finally {
    db.exec(`PRAGMA foreign_keys = ${Number(fkWas) ? 'ON' : 'OFF'}`);
  }
}

/**
 * Drop the database's triggers inside the open transaction and return what re-creates them:
 * the changes applied meanwhile already hold the triggers' effects, which must not happen twice.
 * A full-text index kept by triggers from its content table is the exception: it is not
 * shipped, so the outermost restore rebuilds those whose content table the applied changes
 * touched (virtual-tables.ts).
 */
export function suspendTriggers(db: DatabaseSync): () => void {
  const triggers = preparedOnce(db, "SELECT name, sql FROM main.sqlite_schema WHERE type = 'trigger' AND sql IS NOT NULL").all() as Array<{ name: string; sql: string }>;
  for (const t of triggers) db.exec(`DROP TRIGGER main.${quoteIdent(t.name)}`);
  const outermost = !touchedWhileSuspended.has(db);
  if (outermost) touchedWhileSuspended.set(db, new Set());
  return () => {
    for (const t of triggers) db.exec(t.sql);
    if (!outermost) return;
    const touched = touchedWhileSuspended.get(db)!;
    touchedWhileSuspended.delete(db);
    rebuildFullTextIndexes(db, touched);
  };
}

/** Per connection with triggers suspended: the (lower-cased) tables changesets were applied to. */
const touchedWhileSuspended = new WeakMap<DatabaseSync, Set<string>>();

/** Changes applied with SQL rather than a changeset (capture-base.ts): a full-text index over `table` is rebuilt at the restore. */
export function noteApplied(db: DatabaseSync, table: string): void {
  touchedWhileSuspended.get(db)?.add(table.toLowerCase());
}

/** After a ROLLBACK (which brings the triggers back itself): forget the suspension. */
export function abandonSuspension(db: DatabaseSync): void {
  touchedWhileSuspended.delete(db);
}

/**
 * Apply `bytes` inside withApplyTransaction, triggers suspended. Throws if the file is malformed
 * (not of the `expect`ed kind, when given), a table does not match the schema, or a conflict
 * aborts it; the caller's ROLLBACK then undoes what did apply. `validated`: what
 * validateChangeset(bytes, expect) returned for these very bytes, when the caller ran it already.
 */
export function applyChecked(db: DatabaseSync, bytes: Uint8Array, expect?: ChangesetKind, validated?: readonly TableHeader[]): void {
  if (!db.isTransaction) throw new Error('applyChecked must run inside withApplyTransaction');
  const restoreTriggers = suspendTriggers(db);
  let applied: boolean;
  try {
    applied = applyValidated(db, bytes, { expect, validated, onConflict: () => constants.SQLITE_CHANGESET_ABORT });
  } finally {
    restoreTriggers();
  }
  if (!applied) throw applyConflict();
}

export function applyConflict(): SqlferryError {
  return new SqlferryError('APPLY_CONFLICT', 'the changes conflict with the database and were not applied', {
    exitCode: EXIT.failure,
    hint: 'the database differs from what the changes expect (a row changed, missing or duplicated)',
  });
}

export interface ApplyValidatedOptions {
  expect?: ChangesetKind | undefined;
  onConflict: (kind: number) => number;
  /**
   * A table may have more columns than the changes (SQLite then leaves the others alone): a
   * rebase re-applies local changes after the hub's ALTER TABLE … ADD COLUMN.
   */
  widerTables?: boolean;
  /** What validateChangeset(bytes, expect) returned for these very bytes (a pull validates its entries as they arrive): not read again. */
  validated?: readonly TableHeader[] | undefined;
}

/**
 * The one place sqlferry hands a changeset to SQLite. The file is read whole first
 * (validateChangeset: every record decodes, a table named twice is named alike; here, unless
 * the caller did and passes `validated`) and every
 * table it changes is checked against the schema: exists, same column count, same primary key.
 * SQLite would crash on the first kind of fault and silently skip the table on the second.
 * One pass over the bytes that allocates nothing per value, and a query per table.
 */
export function applyValidated(db: DatabaseSync, bytes: Uint8Array, opts: ApplyValidatedOptions): boolean {
  checkTables(db, opts.validated ?? validateChangeset(bytes, opts.expect), opts.widerTables ?? false);
  try {
    return db.applyChangeset(bytes, { onConflict: opts.onConflict });
  } catch (err) {
    throw valueRefused(err) ?? err;
  }
}

/** Every table the changes name must be here with their columns and key (SCHEMA_MISMATCH), before any applies. */
export function checkTables(db: DatabaseSync, tables: readonly TableHeader[], wider: boolean): void {
  const touched = touchedWhileSuspended.get(db);
  for (const table of tables) {
    touched?.add(table.name.toLowerCase());
    const problem = tableMismatch(db, table, wider);
    if (problem) {
      throw new SqlferryError('SCHEMA_MISMATCH', `cannot apply changes to table "${table.name}": ${problem}`, {
        data: { table: table.name },
        hint: 'the database schema differs from the one the changes were captured on; bring the schema up to date first',
      });
    }
  }
}

/** SQLITE_TOOBIG, SQLITE_MISMATCH, SQLITE_RANGE: SQLite's word that a value of the changes does not fit. */
const VALUE_ERRORS = new Set([18, 20, 25]);

/** A well-formed file can still hold a value the database refuses: a REAL for an INTEGER PRIMARY KEY. */
function valueRefused(err: unknown): SqlferryError | undefined {
  const code = (err as { errcode?: unknown } | null)?.errcode;
  if (typeof code !== 'number' || !VALUE_ERRORS.has(code & 0xff)) return undefined;
  return new SqlferryError('APPLY_REFUSED', `SQLite refused a value in the changes (${(err as Error).message}); nothing was applied`, {
    hint: 'the changes do not fit this database: a value of the wrong type for its column, or too big',
    cause: err,
  });
}

/** Run an entry's schema statements (CREATE/DROP/ALTER captured with a commit), in order, each checked (schema-guard.ts). */
export function applySchema(db: DatabaseSync, statements: readonly string[], where: string): void {
  runSchemaStatements(db, statements, where);
}

function tableMismatch(db: DatabaseSync, table: TableHeader, wider: boolean): string | undefined {
  const cols = preparedOnce(db, 'SELECT pk FROM pragma_table_info(?, ?)').all(table.name, 'main') as Array<{ pk: bigint | number }>;
  if (cols.length === 0) return 'there is no such table';
  let keys = cols.map((c) => Number(c.pk));
  // Without a PRIMARY KEY, changesets hold the rowid as an implicit first key column (as SQLite applies them).
  if (keys.every((k) => k === 0)) keys = [1, ...keys];
  const n = table.pk.length;
  if (wider ? keys.length < n : keys.length !== n) return `it has ${keys.length} columns here${keys.length > cols.length ? ' (the rowid first)' : ''}, ${n} in the changes`;
  // The reader always records SQLite's per-column PK ordinals; columns beyond the changes' are keyless.
  const want = table.pkIndex ?? table.pk.map((isPk) => (isPk ? 1 : 0));
  if (keys.some((k, i) => k !== (want[i] ?? 0))) return 'its primary key differs';
  return undefined;
}

export function refuseDanglingReferences(db: DatabaseSync): void {
  const rows = db.prepare('PRAGMA foreign_key_check').all() as Array<{ table: string; parent: string }>;
  if (rows.length === 0) return;
  const first = rows[0]!;
  throw new SqlferryError('FOREIGN_KEY_VIOLATION', `${rows.length} row(s) would reference missing rows (first: ${first.table} → ${first.parent}); nothing was applied`, {
    data: { violations: rows.map((r) => ({ table: r.table, parent: r.parent })) },
    hint: 'apply the changes that create the referenced rows first, or remove the dangling references',
  });
}
