// `conflicts restore ID`: put a discarded row version back into the live database, as an
// ordinary uncommitted change (the next commit or sync shares it). The version the
// resolution discarded is the default; both are stored, so either can be chosen.
import { SqlferryError, EXIT } from '../errors/index.ts';
import type { Replica } from '../repo/replica.ts';
import { beginImmediate, openDatabase, rollbackQuietly } from '../repo/sqlite.ts';
import { ConflictStore, type ConflictRecord } from '../repo/conflicts/conflict-store.ts';
import { fromExact } from '../repo/conflicts/exact-json.ts';
import { isConstraintError } from './rebase/constraint.ts';
import { deleteRow, insertRow, readRow, updateRow } from './rows.ts';
import type { SqlValue } from '../changeset/types.ts';
import { Shapes } from './table-shape.ts';

export type Side = 'local' | 'remote';

const UNCHANGED: SqlValue = { type: 'undefined' };
const SQLITE_CONSTRAINT_FOREIGNKEY = 787;

/**
 * `already`: the conflict was restored before and no side was named, so nothing was written
 * (restoring twice would overwrite what was done to the row since). Naming a side restores again.
 */
export function restoreConflict(replica: Replica, id: number, side?: Side): { record: ConflictRecord; already: boolean } {
  const store = new ConflictStore(replica.paths.conflicts);
  try {
    const record = store.get(id);
    if (record.restoredAt !== null && side === undefined) return { record, already: true };
    const chosen: Side = side ?? (record.discarded === 'remote' ? 'remote' : 'local');
    const version = record[chosen];
    const db = openDatabase(replica.paths.db);
    try {
      beginImmediate(db, replica.paths.db);
      try {
        const shape = new Shapes(db).of(record.table);
        const key = record.primaryKey.values.map(fromExact);
        const exists = readRow(db, shape, key) !== null;
        if (version) {
          if (version.columns.join('\u0000') !== shape.columns.join('\u0000')) {
            throw new SqlferryError('RESTORE_SCHEMA_CHANGED', `table "${record.table}" has other columns now than when conflict ${id} was recorded`, { exitCode: EXIT.failure });
          }
          const values = version.values.map(fromExact);
          // A row that is there is updated in place (its key stays): deleting and re-inserting
          // it would trip the foreign keys of rows that refer to it, or cascade to them.
          if (exists) updateRow(db, shape, key, values.map((v, i) => (shape.pk.includes(i) ? UNCHANGED : v)));
          else insertRow(db, shape, values);
        } else if (exists) {
          deleteRow(db, shape, key);
        }
        db.exec('COMMIT');
      } catch (err) {
        rollbackQuietly(db);
        if (isConstraintError(err)) {
          const fk = ((err as { errcode?: number }).errcode ?? 0) === SQLITE_CONSTRAINT_FOREIGNKEY;
          throw new SqlferryError('RESTORE_CONSTRAINT', fk
            ? `conflict ${id} cannot be restored: a foreign key would be left dangling (${(err as Error).message})`
            : `conflict ${id} cannot be restored: the row collides with another (${(err as Error).message})`, {
            exitCode: EXIT.failure,
            hint: fk ? 'add or remove the rows it refers to or that refer to it, then restore again' : 'change or remove the row in the way, then restore again',
          });
        }
        throw err;
      }
    } finally {
      db.close();
    }
    store.markRestored(id);
    return { record: store.get(id), already: false };
  } finally {
    store.close();
  }
}
