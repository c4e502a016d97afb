// Folding two changes to the same row into one, with sqlite3changegroup's rules
// (sessionChangeMerge in ext/session/sqlite3session.c). `undefined` means the pair cancels out.
import type { Change, SqlValue } from './types.ts';
import { UNDEFINED } from './value.ts';

/** Same serialized bytes: what SQLite compares (so 0.0 and -0.0 differ, 1 and 1.0 differ). */
export function sameBytes(a: SqlValue, b: SqlValue): boolean {
  if (a.type !== b.type) return false;
  switch (a.type) {
    case 'integer':
      return a.value === (b as typeof a).value;
    case 'real':
      return Object.is(a.value, (b as typeof a).value);
    case 'text':
    case 'blob':
      return Buffer.compare(a.value, (b as typeof a).value) === 0;
    default:
      return true;
  }
}

const defined = (v: SqlValue | undefined): v is SqlValue => v !== undefined && v.type !== 'undefined';
const prefer = (first: SqlValue, second: SqlValue): SqlValue => (defined(first) ? first : second);

/**
 * A changeset UPDATE from the row's values before (`before`) and after (`after`), each column
 * taken as given; columns that end where they started become undefined. No change at all
 * (only key columns or nothing differs) gives undefined, as in sessionMergeUpdate.
 */
function updateBetween(first: Change, before: SqlValue[], after: SqlValue[], indirect: boolean): Change | undefined {
  const pk = first.table.pk;
  const oldValues: SqlValue[] = [];
  const newValues: SqlValue[] = [];
  let changed = false;
  for (let i = 0; i < pk.length; i++) {
    const same = sameBytes(before[i]!, after[i]!);
    if (!pk[i] && !same) changed = true;
    oldValues.push(pk[i] || !same ? before[i]! : UNDEFINED);
    newValues.push(pk[i] || same ? UNDEFINED : after[i]!);
  }
  return changed ? { table: first.table, op: 'UPDATE', indirect, old: oldValues, new: newValues } : undefined;
}

/** `first` then `second`, on the same row of the same table, as one change (or none). */
export function mergeChanges(first: Change, second: Change, patchset: boolean): Change | undefined {
  const table = first.table;
  const pk = table.pk;
  const indirect = first.indirect && second.indirect;
  const a = first.op;
  const b = second.op;
  if ((a === 'INSERT' && b === 'INSERT') || (a === 'UPDATE' && b === 'INSERT') || (a === 'DELETE' && b !== 'INSERT')) {
    return first; // not a sequence SQLite can produce: changegroup keeps the first and drops the second
  }
  if (a === 'INSERT' && b === 'DELETE') return undefined;
  if (a === 'INSERT') {
    // INSERT + UPDATE: the inserted row with the update's new values.
    const values = first.new!.map((v, i) => prefer(second.new![i]!, v));
    return { table, op: 'INSERT', indirect, old: undefined, new: values };
  }
  if (a === 'DELETE') {
    // DELETE + INSERT: an UPDATE. A patchset UPDATE carries the whole inserted row.
    if (patchset) {
      const row = second.new!;
      return { table, op: 'UPDATE', indirect, old: pk.map((k, i) => (k ? row[i]! : UNDEFINED)), new: pk.map((k, i) => (k ? UNDEFINED : row[i]!)) };
    }
    return updateBetween(first, first.old!, second.new!, indirect);
  }
  if (b === 'UPDATE') {
    const after = first.new!.map((v, i) => prefer(second.new![i]!, v));
    if (patchset) return { table, op: 'UPDATE', indirect, old: first.old, new: after };
    const before = first.old!.map((v, i) => prefer(v, second.old![i]!));
    return updateBetween(first, before, after, indirect);
  }
  // UPDATE + DELETE: a DELETE of the row as it was before the update.
  const deleted = patchset ? second.old! : first.old!.map((v, i) => prefer(v, second.old![i]!));
  return { table, op: 'DELETE', indirect, old: deleted, new: undefined };
}
