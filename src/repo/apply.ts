// Applying changesets to a database (base snapshot, pull, revert) so that what the
// changeset already holds happens exactly once:
// - foreign keys are off on our connection (set before BEGIN: the pragma is a no-op inside
//   a transaction), so ON DELETE CASCADE cannot delete rows the changeset deletes itself;
// - the database's triggers are dropped and re-created inside the same transaction, so a
//   trigger's effect, already captured in the changeset, is not applied a second time;
// - every table the changeset changes is checked against the schema as SQLite reaches it:
//   applyChangeset silently skips a missing table or one whose columns differ, which would
//   lose the change.
import { constants, type DatabaseSync } from 'node:sqlite';
import { changedTables, firstTableHeader } from '../changeset/index.ts';
import type { TableHeader } from '../changeset/types.ts';
import { quoteIdent } from '../changeset/value.ts';
import { SqlferryError, EXIT } from '../errors/index.ts';
import { beginImmediate, preparedOnce, rollbackQuietly } from './sqlite.ts';
import { runSchemaStatements } from './schema-guard.ts';

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
      throw err;
    }
  } finally {
    db.exec(`PRAGMA foreign_keys = ${Number(fkWas) ? 'ON' : 'OFF'}`);
  }
}

/**
 * Drop the database's triggers inside the open transaction and return what re-creates them:
 * the changes applied meanwhile already hold the triggers' effects, which must not happen twice.
 */
export function suspendTriggers(db: DatabaseSync): () => void {
  const triggers = preparedOnce(db, "SELECT name, sql FROM main.sqlite_schema WHERE type = 'trigger' AND sql IS NOT NULL").all() as Array<{ name: string; sql: string }>;
  for (const t of triggers) db.exec(`DROP TRIGGER main.${quoteIdent(t.name)}`);
  return () => {
    for (const t of triggers) db.exec(t.sql);
  };
}

/**
 * Apply `bytes` inside withApplyTransaction, triggers suspended. Throws if a conflict aborts it
 * or a table does not match the schema; the caller's ROLLBACK then undoes what did apply.
 */
export function applyChecked(db: DatabaseSync, bytes: Uint8Array): void {
  if (!db.isTransaction) throw new Error('applyChecked must run inside withApplyTransaction');
  const check = new TableCheck(db, bytes);
  const restoreTriggers = suspendTriggers(db);
  let applied: boolean;
  try {
    applied = db.applyChangeset(bytes, { filter: check.filter, onConflict: () => constants.SQLITE_CHANGESET_ABORT });
  } finally {
    restoreTriggers();
  }
  if (check.failure) throw check.failure;
  if (!applied) {
    throw new SqlferryError('APPLY_CONFLICT', 'the changes conflict with the database and were not applied', {
      exitCode: EXIT.failure,
      hint: 'the database differs from what the changes expect (a row changed, missing or duplicated)',
    });
  }
}

/**
 * The schema check, as applyChangeset's filter: SQLite calls it at each table before applying
 * that table's changes. Comparing needs the changeset's header for the table: the first one is
 * read where it starts, the others only once a second table turns up (changedTables reads the
 * whole file). So a changeset of one table, the usual entry, is never read twice. A table that
 * does not match is skipped and the failure kept, to be thrown once SQLite has returned.
 */
class TableCheck {
  failure: Error | undefined;
  private readonly db: DatabaseSync;
  private readonly bytes: Uint8Array;
  private readonly first: TableHeader | undefined;
  /** By table name, the first group's header (what SQLite checks first). */
  private headers: Map<string, TableHeader> | undefined;
  private readonly verdicts = new Map<string, boolean>();

  constructor(db: DatabaseSync, bytes: Uint8Array) {
    this.db = db;
    this.bytes = bytes;
    this.first = firstTableHeader(bytes);
  }

  readonly filter = (name: string): boolean => {
    let ok = this.verdicts.get(name);
    if (ok === undefined) {
      try {
        ok = this.matches(this.headerOf(name));
      } catch (err) {
        this.failure ??= err as Error;
        ok = false;
      }
      this.verdicts.set(name, ok);
    }
    return ok;
  };

  private headerOf(name: string): TableHeader {
    if (name === this.first?.name) return this.first;
    this.headers ??= new Map(changedTables(this.bytes).reverse().map((h) => [h.name, h]));
    const header = this.headers.get(name);
    if (!header) throw new Error(`applyChangeset reached table "${name}", which the changeset's headers do not name`);
    return header;
  }

  private matches(table: TableHeader): boolean {
    const problem = tableMismatch(this.db, table);
    if (problem) {
      this.failure ??= new SqlferryError('SCHEMA_MISMATCH', `cannot apply changes to table "${table.name}": ${problem}`, {
        data: { table: table.name },
        hint: 'the database schema differs from the one the changes were captured on; bring the schema up to date first',
      });
    }
    return problem === undefined;
  }
}

/** Run an entry's schema statements (CREATE/DROP/ALTER captured with a commit), in order, each checked (schema-guard.ts). */
export function applySchema(db: DatabaseSync, statements: readonly string[], where: string): void {
  runSchemaStatements(db, statements, where);
}

function tableMismatch(db: DatabaseSync, table: TableHeader): string | undefined {
  const cols = preparedOnce(db, 'SELECT pk FROM pragma_table_info(?, ?)').all(table.name, 'main') as Array<{ pk: bigint | number }>;
  if (cols.length === 0) return 'there is no such table';
  if (cols.length !== table.pk.length) return `it has ${cols.length} columns here, ${table.pk.length} in the changes`;
  // The reader always records SQLite's per-column PK ordinals.
  const want = table.pkIndex ?? table.pk.map((isPk) => (isPk ? 1 : 0));
  if (cols.some((c, i) => Number(c.pk) !== want[i])) return 'its primary key differs';
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
