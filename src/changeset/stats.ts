// How many rows a changeset inserts, updates and deletes, per table and in total.
import type { Change, ChangesetKind } from './types.ts';
import { detectKind, iterateChanges } from './reader.ts';

export interface ChangeCounts {
  inserts: number;
  updates: number;
  deletes: number;
  total: number;
}

export interface ChangesetStats {
  kind: ChangesetKind;
  /** In order of first appearance; a table split over several groups is counted once. */
  tables: Array<ChangeCounts & { table: string }>;
  total: ChangeCounts;
}

export function changesetStats(bytes: Uint8Array): ChangesetStats {
  return changeStats(iterateChanges(bytes), detectKind(bytes));
}

/** changesetStats of a file's changes as they are read (a piece at a time). */
export function changeStats(changes: Iterable<Change>, kind: ChangesetKind): ChangesetStats {
  const byTable = new Map<string, ChangeCounts & { table: string }>();
  const total: ChangeCounts = { inserts: 0, updates: 0, deletes: 0, total: 0 };
  for (const change of changes) {
    let counts = byTable.get(change.table.name);
    if (counts === undefined) {
      counts = { table: change.table.name, inserts: 0, updates: 0, deletes: 0, total: 0 };
      byTable.set(change.table.name, counts);
    }
    const field = change.op === 'INSERT' ? 'inserts' : change.op === 'UPDATE' ? 'updates' : 'deletes';
    counts[field]++;
    counts.total++;
    total[field]++;
    total.total++;
  }
  return { kind, tables: [...byTable.values()], total };
}
