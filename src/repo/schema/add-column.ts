// ALTER TABLE … ADD COLUMN is the one change to an existing table sqlferry replays. SQLite
// implements it by splicing ", <column definition>" into the table's CREATE statement, so
// the definitions can be read back from the two statements; the result is then checked by
// replaying it on an empty copy of the table and comparing the CREATE statement SQLite writes.
import { DatabaseSync } from 'node:sqlite';
import type { SqlValue } from '../../changeset/types.ts';
import { quoteIdent } from '../../changeset/value.ts';
import type { SchemaObject, TableInfo } from './schema-read.ts';
import { readValue } from '../capture/values.ts';

export interface AddedColumns {
  statements: string[];
  /** The value SQLite reads for each added column in rows written before it was added. */
  defaults: SqlValue[];
}

/** The ALTER statements turning `before` into `after`, or undefined when that is not what happened. */
export function addColumnStatements(before: SchemaObject, after: SchemaObject, afterInfo: TableInfo, baseColumns: number): AddedColumns | undefined {
  const added = afterInfo.columns.slice(baseColumns);
  const inserted = splicedText(before.sql, after.sql);
  if (inserted === undefined || added.length === 0) return undefined;
  const defs = splitDefinitions(inserted, added.map((c) => c.name));
  if (defs === undefined) return undefined;
  const statements = defs.map((d) => `ALTER TABLE ${quoteIdent(after.name)} ADD COLUMN ${d}`);
  const scratch = new DatabaseSync(':memory:', { enableForeignKeyConstraints: false, readBigInts: true });
  try {
    scratch.exec(before.sql);
    for (const s of statements) scratch.exec(s);
    const rebuilt = scratch.prepare('SELECT sql FROM sqlite_schema WHERE type = ? AND name = ?').get('table', after.name) as { sql: string } | undefined;
    if (rebuilt?.sql !== after.sql) return undefined;
    return { statements, defaults: added.map((c) => defaultValue(scratch, c.type, c.dflt)) };
  } catch {
    return undefined;
  } finally {
    scratch.close();
  }
}

/** The text `after` has in one place more than `before`, when it begins with ", ". */
function splicedText(before: string, after: string): string | undefined {
  const extra = after.length - before.length;
  if (extra <= 2) return undefined;
  for (let at = before.length; at >= 0; at--) {
    if (after.startsWith(before.slice(0, at)) && after.slice(at + extra) === before.slice(at)) {
      const text = after.slice(at, at + extra);
      if (text.startsWith(', ')) return text;
    }
  }
  return undefined;
}

/** ", a INT, b TEXT DEFAULT ', x'" → the definitions, split where the next column's name starts. */
function splitDefinitions(text: string, names: string[]): string[] | undefined {
  const starts: number[] = [];
  let from = 0;
  for (const name of names) {
    const at = findDefinitionStart(text, name, from);
    if (at < 0) return undefined;
    starts.push(at);
    from = at + 1;
  }
  return starts.map((s, i) => text.slice(s, i + 1 < starts.length ? starts[i + 1]! - 2 : undefined));
}

function findDefinitionStart(text: string, name: string, from: number): number {
  for (let at = text.indexOf(', ', from); at >= 0; at = text.indexOf(', ', at + 1)) {
    if (startsWithName(text.slice(at + 2), name)) return at + 2;
  }
  return -1;
}

/** Whether a column definition begins with `name`, in any of the spellings SQLite accepts. */
export function startsWithName(definition: string, name: string): boolean {
  const spellings = [name, `"${name.replaceAll('"', '""')}"`, `[${name}]`, `\`${name.replaceAll('`', '``')}\``, `'${name.replaceAll("'", "''")}'`];
  return spellings.some((s) => definition.toLowerCase().startsWith(s.toLowerCase()) && !/[\w$]/.test(definition.charAt(s.length)));
}

/** Store the default in a column of the same declared type, so SQLite applies the same affinity. */
function defaultValue(scratch: DatabaseSync, type: string, dflt: string | null): SqlValue {
  if (dflt === null) return { type: 'null' };
  scratch.exec(`CREATE TEMP TABLE sqlferry_default(v ${type})`);
  scratch.exec(`INSERT INTO sqlferry_default VALUES (${dflt})`);
  const stmt = scratch.prepare(`SELECT typeof(v) AS t, CASE WHEN typeof(v) = 'text' THEN CAST(v AS BLOB) ELSE v END AS v FROM sqlferry_default`);
  stmt.setReturnArrays(true);
  const [t, v] = stmt.get() as unknown as [string, never];
  scratch.exec('DROP TABLE sqlferry_default');
  return readValue(t, v);
}
