// One local change being re-applied, with everything handlers and the conflict store need.
import type { Change } from '../../changeset/types.ts';
import { UNDEFINED } from '../../changeset/value.ts';
import type { ConflictContext, ConflictKind } from '../handlers/types.ts';
import { asRow, keyOf, overlay, type Values } from '../rows.ts';
import type { TableShape } from '../table-shape.ts';

export interface Pending {
  shape: TableShape;
  change: Change;
  key: Values;
  /** The full row this replica had (its state before the pull), or null for a DELETE. */
  localRow: Values | null;
}

export interface Conflict {
  kind: ConflictKind;
  pending: Pending;
  /** The row at the key as the hub left it. */
  remote: Values | null;
  /** For `unique`: the collision's columns and the hub row holding them. */
  uniqueColumns: number[];
  conflicting: Values | null;
  /** Set when the row met this conflict at the key a rekey moved it to: its key before. */
  movedFrom?: Values;
}

/** The change's key, and the full local row: INSERT's new, or the row read before the undo. */
export function pendingChange(shape: TableShape, narrow: Change, localRows: Map<string, Values>): Pending {
  const change = widen(shape, narrow);
  const key = keyOf(shape, change.op === 'INSERT' ? change.new! : change.old!);
  const read = localRows.get(rowId(shape.name, key));
  const localRow = change.op === 'DELETE' ? null : change.op === 'INSERT' ? change.new! : read ? withDefaults(shape, read) : overlay(withDefaults(shape, change.old!), change.new!);
  return { shape, change, key, localRow };
}

/**
 * A change captured before the hub added columns (ALTER TABLE ADD COLUMN) names fewer columns
 * than the table has now. As SQLite's own apply does, an INSERT gives the added columns their
 * defaults; an UPDATE or DELETE neither checks nor sets them (undefined).
 */
function widen(shape: TableShape, change: Change): Change {
  const width = change.table.pk.length;
  const n = shape.columns.length;
  if (width >= n) return change;
  const more = <T>(xs: T[], fill: (i: number) => T): T[] => [...xs, ...Array.from({ length: n - width }, (_, j) => fill(width + j))];
  const table = { ...change.table, pk: more(change.table.pk, () => false), ...(change.table.pkIndex ? { pkIndex: more(change.table.pkIndex, () => 0) } : {}) };
  const pad = (values: Values | undefined): Values | undefined => (values ? more(values, () => UNDEFINED) : undefined);
  if (change.op === 'INSERT') return { ...change, table, new: withDefaults(shape, change.new!) };
  return { ...change, table, old: pad(change.old), new: pad(change.new) };
}

/** A full row for the table as it is now: columns added since it was read take their defaults. */
function withDefaults(shape: TableShape, row: Values): Values {
  if (row.length >= shape.columns.length) return row;
  const defaults = shape.defaults();
  return [...row, ...defaults.slice(row.length)];
}

export function rowId(table: string, key: Values): string {
  return `${table}\u0000${JSON.stringify(key, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v))}`;
}

export function contextOf(c: Conflict): ConflictContext {
  const { shape, change, localRow } = c.pending;
  const { pk } = shape;
  const old = change.old ? change.old.map((v) => v ?? UNDEFINED) : null;
  return {
    kind: c.kind,
    table: shape.name,
    columns: [...shape.columns],
    primaryKey: asRow(shape, pkValues(shape, c.pending.key), pk)!,
    local: { op: change.op, old: change.op === 'UPDATE' && c.remote ? asRow(shape, overlay(c.remote, old!)) : asRow(shape, old), new: asRow(shape, localRow) },
    remote: asRow(shape, c.remote),
    uniqueColumns: c.uniqueColumns.map((i) => shape.columns[i]!),
    conflicting: asRow(shape, c.conflicting),
  };
}

/** A full-width row holding only the key columns (others undefined). */
export function pkValues(shape: TableShape, key: Values): Values {
  const row: Values = shape.columns.map(() => UNDEFINED);
  shape.pk.forEach((col, i) => (row[col] = key[i]!));
  return row;
}
