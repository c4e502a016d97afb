// The inverse of a changeset, as sqlite3changeset_invert() computes it: applying it after
// the original restores the database. A patchset lacks the old values needed to undo it.
import { SqlferryError } from '../errors/index.ts';
import type { Change, SqlValue } from './types.ts';
import { detectKind, iterateChanges } from './reader.ts';
import { writeChangeset } from './writer.ts';
import { UNDEFINED } from './value.ts';

export function invertChange(change: Change): Change {
  const { table, indirect } = change;
  switch (change.op) {
    case 'INSERT':
      return { table, op: 'DELETE', indirect, old: change.new, new: undefined };
    case 'DELETE':
      return { table, op: 'INSERT', indirect, old: undefined, new: change.old };
    case 'UPDATE': {
      const pk = table.pk;
      const oldValues = change.old!;
      const newValues = change.new!;
      // SQLite's rule: the new old.* is the key from old.* and everything else from new.*;
      // the new new.* is old.* with the key columns left undefined.
      const invertedOld: SqlValue[] = pk.map((isPk, i) => (isPk ? oldValues[i]! : newValues[i]!));
      const invertedNew: SqlValue[] = pk.map((isPk, i) => (isPk ? UNDEFINED : oldValues[i]!));
      return { table, op: 'UPDATE', indirect, old: invertedOld, new: invertedNew };
    }
  }
}

export function invertChangeset(bytes: Uint8Array): Uint8Array {
  if (detectKind(bytes) === 'patchset') {
    throw new SqlferryError('PATCHSET_NOT_INVERTIBLE', 'a patchset cannot be inverted: it does not record the old values of deleted and updated rows', {
      hint: 'capture changesets rather than patchsets for anything that may need undoing',
    });
  }
  return writeChangeset('changeset', mapChanges(iterateChanges(bytes), invertChange));
}

function* mapChanges(changes: Iterable<Change>, f: (c: Change) => Change): Generator<Change> {
  for (const c of changes) yield f(c);
}
