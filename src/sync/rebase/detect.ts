// Re-applying one local change the way sqlite3changeset_apply would, but with our own checks,
// so a conflict comes back with its rows instead of as a bare number.
import type { DatabaseSync } from 'node:sqlite';
import { deleteRow, insertRow, matches, readRow, rowsWithValues, sameRow, updateRow, type Values } from '../rows.ts';
import type { Conflict, Pending } from './context.ts';
import { isConstraintError } from './constraint.ts';

/** Applies `p` when nothing stands in its way; otherwise returns the conflict, having changed nothing. */
export function applyOrConflict(db: DatabaseSync, p: Pending): Conflict | undefined {
  const { shape, change, key } = p;
  const current = readRow(db, shape, key);
  switch (change.op) {
    case 'INSERT': {
      if (current) return sameRow(current, change.new!) ? undefined : conflict('primary-key', p, current);
      return write(db, p, () => insertRow(db, shape, change.new!), null);
    }
    case 'UPDATE': {
      if (!current) return conflict('not-found', p, null);
      if (!matches(current, change.old!)) return conflict('data', p, current);
      return write(db, p, () => updateRow(db, shape, key, change.new!), current);
    }
    case 'DELETE': {
      if (!current) return undefined; // deleted on both sides: nothing to decide, nothing lost
      if (!matches(current, change.old!)) return conflict('data', p, current);
      deleteRow(db, shape, key);
      return undefined;
    }
  }
}

function conflict(kind: Conflict['kind'], pending: Pending, remote: Values | null): Conflict {
  return { kind, pending, remote, uniqueColumns: [], conflicting: null };
}

/** Runs a write; a UNIQUE (or NOT NULL / CHECK) failure becomes a `unique` conflict naming the hub's row. */
function write(db: DatabaseSync, p: Pending, run: () => void, current: Values | null): Conflict | undefined {
  try {
    run();
    return undefined;
  } catch (err) {
    if (!isConstraintError(err)) throw err;
    const found = uniqueCollision(db, p);
    return { kind: 'unique', pending: p, remote: current, uniqueColumns: found?.columns ?? [], conflicting: found?.row ?? null };
  }
}

/** The first UNIQUE index where another row holds the values the local row wants. */
export function uniqueCollision(db: DatabaseSync, p: Pending): { columns: number[]; row: Values } | undefined {
  const { shape, localRow, key } = p;
  if (!localRow) return undefined;
  for (const columns of shape.unique) {
    const others = rowsWithValues(db, shape, columns, localRow).filter((row) => !sameRow(shape.pk.map((i) => row[i]!), key));
    if (others[0]) return { columns, row: others[0] };
  }
  return undefined;
}
