// Turning resolved conflicts into conflict-store records: exact row versions (local, remote,
// and what the database holds after the resolution), read inside the pull's transaction.
import type { DatabaseSync } from 'node:sqlite';
import type { NewConflict } from '../repo/conflicts/conflict-store.ts';
import { exactRow } from '../repo/conflicts/exact-json.ts';
import type { Resolved } from './rebase/decide.ts';
import { keyOf, readRow } from './rows.ts';

export function conflictRecords(db: DatabaseSync, resolved: readonly Resolved[], hubSeq: number): NewConflict[] {
  return resolved.map(({ conflict, handler, outcome }) => {
    const { shape, key } = conflict.pending;
    const pkColumns = shape.pk.map((i) => shape.columns[i]!);
    // A UNIQUE victim is its own record: its key is the victim's, not the local row's.
    const at = conflict.kind === 'unique' && outcome.remote && outcome.discarded === 'remote' && conflict.remote === outcome.remote ? keyOf(shape, outcome.remote) : key;
    return {
      kind: conflict.kind,
      table: shape.name,
      primaryKey: exactRow(pkColumns, at)!,
      handler,
      resolution: outcome.resolution,
      local: exactRow(shape.columns, outcome.local),
      remote: exactRow(shape.columns, outcome.remote),
      result: exactRow(shape.columns, readRow(db, shape, outcome.remap?.to ?? key)),
      discarded: outcome.discarded,
      hubSeq,
    };
  });
}
