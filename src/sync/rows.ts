// Reading and writing single rows by primary key, in the changeset's exact value model.
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import type { SqlValue } from '../changeset/types.ts';
import { fromJs, isValidUtf8, quoteIdent, sameValue, toJs, type JsValue } from '../changeset/value.ts';
import { exactColumns, readValues } from '../repo/capture/values.ts';
import type { TableShape } from './table-shape.ts';

/** One value per column, in column order. */
export type Values = SqlValue[];
/** A row as handlers and --json see it: column name → value. */
export type Row = Record<string, JsValue>;

export const bind = (v: SqlValue): SQLInputValue => (v.type === 'text' && !isValidUtf8(v.value) ? v.value : (toJs(v) as SQLInputValue));

/**
 * The placeholder for `v`. TEXT that is not valid UTF-8 cannot be bound as a JS string without
 * being rewritten (U+FFFD): it is bound as bytes and cast back to TEXT, byte for byte. The
 * `|| ''` drops the CAST's TEXT affinity, so comparisons behave as with a bound string.
 */
export const mark = (v: SqlValue): string => (v.type === 'text' && !isValidUtf8(v.value) ? "(CAST(? AS TEXT) || '')" : '?');

function keyWhere(shape: TableShape, key: Values): string {
  return shape.pk.map((i, j) => `${quoteIdent(shape.columns[i]!)} IS ${mark(key[j]!)}`).join(' AND ');
}

/** The columns selected exactly (type and bytes: TEXT arrives as it is stored, invalid UTF-8 included). */
function exactSelect(db: DatabaseSync, shape: TableShape, rest: string): { all: (...p: SQLInputValue[]) => Values[] } {
  const stmt = db.prepare(`SELECT ${shape.columns.map((c) => exactColumns(quoteIdent(c))).join(', ')} FROM main.${quoteIdent(shape.name)} ${rest}`);
  stmt.setReadBigInts(true);
  stmt.setReturnArrays(true);
  return { all: (...p) => (stmt.all(...p) as unknown as unknown[][]).map((row) => readValues(row, 0, shape.columns.length)) };
}

export function keyOf(shape: TableShape, values: Values): Values {
  return shape.pk.map((i) => values[i]!);
}

export function readRow(db: DatabaseSync, shape: TableShape, key: Values): Values | null {
  return exactSelect(db, shape, `WHERE ${keyWhere(shape, key)}`).all(...key.map(bind))[0] ?? null;
}

/** Rows other than `key` holding the same values in the columns `cols` (a UNIQUE collision). */
export function rowsWithValues(db: DatabaseSync, shape: TableShape, cols: number[], values: Values): Values[] {
  if (cols.some((i) => values[i]?.type === 'null')) return []; // NULLs never collide in UNIQUE
  const where = cols.map((i) => `${quoteIdent(shape.columns[i]!)} = ${mark(values[i]!)}`).join(' AND ');
  return exactSelect(db, shape, `WHERE ${where}`).all(...cols.map((i) => bind(values[i]!)));
}

export function insertRow(db: DatabaseSync, shape: TableShape, values: Values, replace = false): void {
  const cols = shape.columns.map(quoteIdent).join(', ');
  const marks = values.map(mark).join(', ');
  db.prepare(`INSERT ${replace ? 'OR REPLACE ' : ''}INTO main.${quoteIdent(shape.name)} (${cols}) VALUES (${marks})`).run(...values.map(bind));
}

/** Set the columns whose value is not `undefined`, on the row at `key`. */
export function updateRow(db: DatabaseSync, shape: TableShape, key: Values, values: Values): void {
  const set = values.flatMap((v, i) => (v.type === 'undefined' ? [] : [i]));
  if (set.length === 0) return;
  const sql = `UPDATE main.${quoteIdent(shape.name)} SET ${set.map((i) => `${quoteIdent(shape.columns[i]!)} = ${mark(values[i]!)}`).join(', ')} WHERE ${keyWhere(shape, key)}`;
  db.prepare(sql).run(...set.map((i) => bind(values[i]!)), ...key.map(bind));
}

export function deleteRow(db: DatabaseSync, shape: TableShape, key: Values): void {
  db.prepare(`DELETE FROM main.${quoteIdent(shape.name)} WHERE ${keyWhere(shape, key)}`).run(...key.map(bind));
}

/** `base` with the defined values of `patch` laid over it (an UPDATE's new.* onto a row). */
export function overlay(base: Values, patch: Values): Values {
  return base.map((v, i) => (patch[i] && patch[i].type !== 'undefined' ? patch[i] : v));
}

export function sameRow(a: Values, b: Values): boolean {
  return a.length === b.length && a.every((v, i) => sameValue(v, b[i]!));
}

/** True when every defined value of `expected` equals the row's: the row is as the change saw it. */
export function matches(row: Values, expected: Values): boolean {
  return expected.every((v, i) => v.type === 'undefined' || sameValue(v, row[i]!));
}

export function asRow(shape: TableShape, values: Values | null, only?: number[]): Row | null {
  if (!values) return null;
  const row: Row = {};
  for (const i of only ?? shape.columns.keys()) if (values[i]?.type !== 'undefined') row[shape.columns[i]!] = toJs(values[i]!);
  return row;
}

/** A handler's row (column name → JS value) back to values in column order; missing columns from `base`. */
export function fromRow(shape: TableShape, row: Row, base: Values): Values {
  return shape.columns.map((c, i) => (c in row ? fromJs(row[c] ?? null) : base[i]!));
}
