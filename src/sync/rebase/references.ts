// After the local changes are re-applied: local rows follow keys that moved (rekey,
// merge-unique), and references a local change left dangling are put to the handlers.
import type { DatabaseSync } from 'node:sqlite';
import { fromJs, quoteIdent, type JsValue } from '../../changeset/value.ts';
import { keyOf, readRow, sameRow, updateRow, type Values } from '../rows.ts';
import type { Shapes } from '../table-shape.ts';
import { rowId, type Pending } from './context.ts';

export interface Remap {
  table: string;
  from: Values;
  to: Values;
}

/**
 * Local rows whose foreign key named a moved key now name its new one. Each row moves at most
 * once per foreign key: a row that followed 26 → 30 must not then follow another row's 30 → 74.
 */
export function followRemaps(db: DatabaseSync, shapes: Shapes, remaps: readonly Remap[], local: readonly Pending[]): void {
  for (const fk of shapes.foreignKeys()) {
    const parent = shapes.of(fk.parent);
    const parentKey = parent.pk.map((i) => parent.columns[i]!);
    if (fk.to.join('\u0000') !== parentKey.join('\u0000')) continue;
    const moves = remaps.filter((r) => r.table.toLowerCase() === fk.parent.toLowerCase());
    if (moves.length === 0) continue;
    const child = shapes.of(fk.table);
    const from = fk.from.map((c) => child.columns.indexOf(c));
    const planned: Array<{ key: Values; patch: Values }> = [];
    for (const p of local) {
      if (p.shape.name !== child.name || p.change.op === 'DELETE') continue;
      const row = readRow(db, child, p.key);
      const move = row && moves.find((r) => sameRow(from.map((i) => row[i]!), r.from));
      if (!move) continue;
      const patch: Values = child.columns.map(() => ({ type: 'undefined' }));
      from.forEach((col, i) => (patch[col] = move.to[i]!));
      planned.push({ key: p.key, patch });
    }
    for (const { key, patch } of planned) updateRow(db, child, key, patch);
  }
}

/** Rewrites a local change's key when an earlier resolution moved it. */
export function remapKey(p: Pending, remaps: readonly Remap[]): Pending {
  const moved = remaps.find((r) => r.table === p.shape.name && sameRow(r.from, p.key));
  if (!moved) return p;
  const rewrite = (values: Values | undefined) => {
    if (!values) return values;
    const out = [...values];
    p.shape.pk.forEach((col, i) => (out[col] = moved.to[i]!));
    return out;
  };
  return { ...p, key: moved.to, change: { ...p.change, old: rewrite(p.change.old), new: rewrite(p.change.new) }, localRow: p.localRow && rewrite(p.localRow)! };
}

export interface Violation {
  id: string;
  table: string;
  rowid: bigint;
  parent: string;
  fkid: number;
}

/** PRAGMA foreign_key_check, for rowid tables (a WITHOUT ROWID row cannot be located from it). */
export function violations(db: DatabaseSync): Violation[] {
  const rows = db.prepare('PRAGMA foreign_key_check').all() as Array<{ table: string; rowid: bigint | null; parent: string; fkid: bigint }>;
  return rows.filter((r) => r.rowid !== null).map((r) => ({ id: `${r.table}:${r.rowid}:${r.fkid}`, table: r.table, rowid: r.rowid!, parent: r.parent, fkid: Number(r.fkid) }));
}

/**
 * Which local change made a violation: the local write of the child row, or a local DELETE /
 * UPDATE of the parent row it pointed at.
 */
export function culprit(db: DatabaseSync, shapes: Shapes, v: Violation, local: Map<string, Pending>): Pending | undefined {
  const child = shapes.of(v.table);
  const stmt = db.prepare(`SELECT ${child.pk.map((i) => quoteIdent(child.columns[i]!)).join(', ')} FROM main.${quoteIdent(child.name)} WHERE rowid = ?`);
  stmt.setReadBigInts(true);
  const keyRow = stmt.get(v.rowid) as Record<string, unknown> | undefined;
  if (!keyRow) return undefined;
  const childRow = readRow(db, child, child.pk.map((i) => fromJs((keyRow[child.columns[i]!] ?? null) as JsValue)));
  if (!childRow) return undefined;
  const own = local.get(rowId(child.name, keyOf(child, childRow)));
  if (own && own.change.op !== 'DELETE') return own;
  const fks = (db.prepare('SELECT "from", "to" FROM pragma_foreign_key_list(?) WHERE id = ? ORDER BY seq').all(v.table, v.fkid) as Array<{ from: string; to: string | null }>);
  const parent = shapes.of(v.parent);
  const to = fks.map((f) => (f.to === null ? parent.columns[parent.pk[0]!]! : f.to)).map((c) => parent.columns.indexOf(c));
  const wanted = fks.map((f) => childRow[child.columns.indexOf(f.from)]!);
  for (const p of local.values()) {
    if (p.shape.name !== parent.name || p.change.op === 'INSERT') continue;
    const old = p.change.old!;
    if (to.every((col, i) => old[col]?.type !== 'undefined' && sameRow([old[col]!], [wanted[i]!]))) return p;
  }
  return undefined;
}
