// What SQLite's sessions record for a column that ALTER TABLE … ADD COLUMN gave a table, in a
// row written before it: the preupdate hook reads such a row's missing value from the column's
// DEFAULT without the REAL affinity every SQL read applies (sqlite3_preupdate_old makes a
// stored integer of a REAL column a REAL, not a default). So with `x REAL DEFAULT 0`, a DELETE
// of such a row carries INTEGER 0 where the row reads REAL 0.0, and an UPDATE of another column
// records x as changed from 0 to 0.0: the log no longer adds up to the tables (verify fails, and
// the full comparison, which reads through SQL, disagrees with it). A column of REAL affinity
// never reads as an INTEGER, so in a session's changeset such values are made REAL, and an
// UPDATE's column whose two sides are then equal is left out, as an unchanged column is.
import type { Change, SqlValue } from '../../changeset/types.ts';
import { changedTables, iterateChanges, writeChangeset } from '../../changeset/index.ts';
import { foldAscii } from '../../changeset/validate.ts';
import { UNDEFINED, sameValue } from '../../changeset/value.ts';
import { hasRealAffinity, type Schema, type TableInfo } from '../schema/schema-read.ts';

/** Per column of a table that a session records: whether it has REAL affinity and a DEFAULT. */
export function realDefaultsOf(table: TableInfo): boolean[] | undefined {
  const flags = table.columns.map((c) => c.dflt !== null && hasRealAffinity(c.type));
  return flags.includes(true) ? flags : undefined;
}

/** The same for every table of a schema that has such a column, by name folded as SQLite folds it. */
export function realDefaultsIn(schema: Schema): Map<string, boolean[]> {
  const found = new Map<string, boolean[]>();
  for (const table of schema.tables.values()) {
    const flags = table.rowid === undefined ? realDefaultsOf(table) : undefined; // sessions record no table tracked by rowid
    if (flags !== undefined) found.set(foldAscii(table.name), flags);
  }
  return found;
}

/** A session's changeset with the defaults of REAL columns read as SQL reads them; the same bytes when no table has such a column. */
export function withRealDefaults(bytes: Uint8Array, columns: Map<string, boolean[]>): Uint8Array {
  if (columns.size === 0 || !changedTables(bytes).some((t) => columns.has(foldAscii(t.name)))) return bytes;
  const changes: Change[] = [];
  for (const change of iterateChanges(bytes)) {
    const flags = columns.get(foldAscii(change.table.name));
    const fixed = flags === undefined ? change : realified(change, flags);
    if (fixed !== undefined) changes.push(fixed);
  }
  return writeChangeset('changeset', changes);
}

/** undefined: an UPDATE left with no changed column. */
function realified(change: Change, flags: boolean[]): Change | undefined {
  const old = change.old?.map((v, i) => (flags[i] ? asReal(v) : v));
  const next = change.new?.map((v, i) => (flags[i] ? asReal(v) : v));
  if (change.op !== 'UPDATE') return { ...change, old, new: next };
  let changed = false;
  for (let i = 0; i < flags.length; i++) {
    if (change.table.pk[i] || next![i]!.type === 'undefined') continue;
    if (flags[i] && sameValue(old![i]!, next![i]!)) {
      old![i] = UNDEFINED;
      next![i] = UNDEFINED;
    } else changed = true;
  }
  return changed ? { ...change, old, new: next } : undefined;
}

function asReal(v: SqlValue): SqlValue {
  return v.type === 'integer' ? { type: 'real', value: Number(v.value) } : v;
}
