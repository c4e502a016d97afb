// The full rows this replica's unpushed UPDATEs left, read before the pull undoes them:
// an UPDATE in a changeset holds only the columns it changed, but handlers are promised the
// whole local row (and `keep-local` on a row the hub deleted must re-create all of it).
import type { DatabaseSync } from 'node:sqlite';
import { iterateChanges } from '../changeset/index.ts';
import { rowId } from './rebase/context.ts';
import { keyOf, readRow, type Values } from './rows.ts';
import { Shapes } from './table-shape.ts';

export function readLocalRows(db: DatabaseSync, local: Uint8Array): Map<string, Values> {
  const rows = new Map<string, Values>();
  if (local.length === 0) return rows;
  const shapes = new Shapes(db);
  for (const change of iterateChanges(local)) {
    if (change.op !== 'UPDATE') continue;
    const shape = shapes.of(change.table.name);
    const key = keyOf(shape, change.old!);
    const row = readRow(db, shape, key);
    if (row) rows.set(rowId(shape.name, key), row);
  }
  return rows;
}
