// Undoing a commit that carries schema statements: a pull rebasing it (sync/rebase/schema.ts)
// and base.db rewinding after that pull (recover-pull.ts) undo it the same way. Only additive
// statements have an exact reverse; the reverse is read from the database itself rather than
// parsed out of the SQL: a captured CREATE statement is, byte for byte, its object's
// sqlite_schema.sql, and undoing newest first means the column an `ALTER TABLE … ADD COLUMN`
// added is still the table's last one.
import type { DatabaseSync } from 'node:sqlite';
import { invertChangeset } from '../../changeset/index.ts';
import { quoteIdent } from '../../changeset/value.ts';
import { SqlferryError, EXIT } from '../../errors/index.ts';
import { startsWithName } from './add-column.ts';
import { applyChecked } from '../apply/apply.ts';
import { applyCheckedFile } from '../apply/apply-pieces.ts';
import type { LogEntry, LogEntryFile } from '../log/log.ts';

export interface Reversal {
  /** The statement undoing it. */
  reverse: string;
  /** What it created: a table, index or view name, or the added column's name. */
  name: string;
}

// Triggers are left out: the pull's transaction drops and re-creates the triggers it found at
// BEGIN (sync/transaction.ts), so a local trigger cannot be undone and re-created inside it.
const CREATE = /^CREATE\s+(?:UNIQUE\s+)?(?:TABLE|INDEX|VIEW)\s/i;
// add-column.ts writes the table name with quoteIdent.
const ADD_COLUMN = /^ALTER TABLE "((?:[^"]|"")+)" ADD COLUMN /;

/** Whether `sql` is one of the additive statements a rebase can undo and redo. */
export function isUndoable(sql: string): boolean {
  return CREATE.test(sql) || ADD_COLUMN.test(sql);
}

/** The table an `ALTER TABLE … ADD COLUMN` statement adds a column to. */
export function alteredTable(sql: string): string | undefined {
  return ADD_COLUMN.exec(sql)?.[1]!.replaceAll('""', '"');
}

/** The reverse of `sql`, the last schema change made to `db`'s main schema. */
export function reversal(db: DatabaseSync, sql: string): Reversal {
  if (CREATE.test(sql)) {
    const o = db.prepare('SELECT type, name FROM main.sqlite_schema WHERE sql = ?').get(sql) as { type: string; name: string } | undefined;
    if (o && o.type !== 'trigger') return { reverse: `DROP ${o.type.toUpperCase()} main.${quoteIdent(o.name)}`, name: o.name };
  }
  const table = alteredTable(sql);
  if (table !== undefined) {
    const last = db.prepare('SELECT name FROM pragma_table_xinfo(?, ?) ORDER BY cid DESC LIMIT 1').get(table, 'main') as { name: string } | undefined;
    if (last && startsWithName(sql.slice(`ALTER TABLE ${quoteIdent(table)} ADD COLUMN `.length), last.name)) {
      return { reverse: `ALTER TABLE main.${quoteIdent(table)} DROP COLUMN ${quoteIdent(last.name)}`, name: last.name };
    }
  }
  throw cannotUndo(sql, 'the object it created is not in the database as it created it');
}

/** Undo one entry on a database at its state: the data first (its inverse needs the tables and columns), then the statements, newest first. */
export function undoEntry(db: DatabaseSync, entry: LogEntry | LogEntryFile): Reversal[] {
  if ('file' in entry) applyCheckedFile(db, entry.file, 'changeset', true);
  else if (entry.bytes.length > 0) applyChecked(db, invertChangeset(entry.bytes));
  const done: Reversal[] = [];
  for (const sql of [...entry.meta.schema].reverse()) {
    const r = reversal(db, sql);
    try {
      db.exec(r.reverse);
    } catch (err) {
      // DROP COLUMN refuses a column used by an index, a key, a CHECK, a foreign key, a view…
      throw cannotUndo(sql, `${r.reverse} fails: ${(err as Error).message}`);
    }
    done.unshift(r);
  }
  return done;
}

export function cannotUndo(sql: string, why: string): SqlferryError {
  return new SqlferryError('SCHEMA_REBASE_UNSUPPORTED', `cannot rebase the local schema change \`${sql}\` onto the hub: ${why}; nothing was applied`, {
    exitCode: EXIT.failure,
    hint: 'push schema changes before the hub moves on; to carry this one over, clone the hub again, re-apply the change there and push right away',
  });
}
