// `conflicts restore ID`: put a discarded row version back into the live database, as an
// ordinary uncommitted change (the next commit or sync shares it). The version the
// resolution discarded is the default; both are stored, so either can be chosen.
import { SqlferryError, EXIT } from '../errors/index.ts';
import type { Replica } from '../repo/replica.ts';
import { beginImmediate, openDatabase, rollbackQuietly } from '../repo/sqlite.ts';
import { ConflictStore, type ConflictRecord } from '../repo/conflict-store.ts';
import { fromExact } from '../repo/exact-json.ts';
import { isConstraintError } from './rebase/constraint.ts';
import { deleteRow, insertRow, readRow } from './rows.ts';
import { Shapes } from './table-shape.ts';

export type Side = 'local' | 'remote';

export function restoreConflict(replica: Replica, id: number, side?: Side): ConflictRecord {
  const store = new ConflictStore(replica.paths.conflicts);
  try {
    const record = store.get(id);
    const chosen: Side = side ?? (record.discarded === 'remote' ? 'remote' : 'local');
    const version = record[chosen];
    const db = openDatabase(replica.paths.db);
    try {
      beginImmediate(db, replica.paths.db);
      try {
        const shape = new Shapes(db).of(record.table);
        const key = record.primaryKey.values.map(fromExact);
        if (readRow(db, shape, key)) deleteRow(db, shape, key);
        if (version) {
          if (version.columns.join('\u0000') !== shape.columns.join('\u0000')) {
            throw new SqlferryError('RESTORE_SCHEMA_CHANGED', `table "${record.table}" has other columns now than when conflict ${id} was recorded`, { exitCode: EXIT.failure });
          }
          insertRow(db, shape, version.values.map(fromExact));
        }
        db.exec('COMMIT');
      } catch (err) {
        rollbackQuietly(db);
        if (isConstraintError(err)) {
          throw new SqlferryError('RESTORE_CONSTRAINT', `conflict ${id} cannot be restored: the row collides with another (${(err as Error).message})`, {
            exitCode: EXIT.failure,
            hint: 'change or remove the row in the way, then restore again',
          });
        }
        throw err;
      }
    } finally {
      db.close();
    }
    store.markRestored(id);
    return store.get(id);
  } finally {
    store.close();
  }
}
