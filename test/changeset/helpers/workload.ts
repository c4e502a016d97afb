// Random schemas and random writes for property tests, executed on a real node:sqlite database
// so that every changeset under test is one SQLite itself wrote.
import fc from 'fast-check';
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';

export type KeyKind = 'rowid' | 'text' | 'composite' | 'without-rowid';
export interface TableSpec {
  name: string;
  key: KeyKind;
  types: string[]; // declared types of the non-key columns
}
export type Op =
  | { kind: 'insert'; table: number; key: number; values: SQLInputValue[] }
  | { kind: 'update'; table: number; key: number; columns: number[]; values: SQLInputValue[]; newKey: number | null }
  | { kind: 'delete'; table: number; key: number };

const NAMES = ['t1', 'Übersicht 表', 'quo"ted'];
const INT_KEYS = [1n, 2n, 3n, 2n ** 63n - 1n, -(2n ** 63n), -7n];
const TEXT_KEYS = ['a', 'b', 'é', '日本', '', 'Z'];
export const KEY_COUNT = 6;

const q = (name: string): string => `"${name.replaceAll('"', '""')}"`;

export function createSql(t: TableSpec): string {
  const data = t.types.map((type, i) => `c${i} ${type}`.trim());
  switch (t.key) {
    case 'rowid':
      return `CREATE TABLE ${q(t.name)}(id INTEGER PRIMARY KEY, ${data.join(', ')})`;
    case 'text':
      return `CREATE TABLE ${q(t.name)}(${data[0]}, k TEXT PRIMARY KEY, ${data.slice(1).join(', ')})`.replace(', )', ')');
    case 'composite': // key declared in the opposite order to the columns: pk bytes [2, 1]
      return `CREATE TABLE ${q(t.name)}(a TEXT, ${data.join(', ')}, b INTEGER, PRIMARY KEY(b, a))`;
    case 'without-rowid':
      return `CREATE TABLE ${q(t.name)}(a INTEGER, b TEXT, ${data.join(', ')}, PRIMARY KEY(a, b)) WITHOUT ROWID`;
  }
}

export function schemaSql(tables: TableSpec[]): string {
  return tables.map((t) => createSql(t) + ';').join('\n');
}

function keyColumns(t: TableSpec, key: number): Array<[string, SQLInputValue]> {
  switch (t.key) {
    case 'rowid':
      return [['id', INT_KEYS[key]!]];
    case 'text':
      return [['k', TEXT_KEYS[key]!]];
    default:
      return [['a', t.key === 'composite' ? TEXT_KEYS[key % 3]! : INT_KEYS[key % 3]!], ['b', t.key === 'composite' ? INT_KEYS[key >> 1]! : TEXT_KEYS[key >> 1]!]];
  }
}

export function runOps(db: DatabaseSync, tables: TableSpec[], ops: Op[]): void {
  for (const op of ops) {
    const t = tables[op.table % tables.length]!;
    const keys = keyColumns(t, op.key);
    const where = keys.map(([c]) => `${c} = ?`).join(' AND ');
    const keyValues = keys.map(([, v]) => v);
    if (op.kind === 'insert') {
      const cols = [...keys.map(([c]) => c), ...t.types.map((_, i) => `c${i}`)];
      const values = [...keyValues, ...t.types.map((_, i) => op.values[i] ?? null)];
      db.prepare(`INSERT OR REPLACE INTO ${q(t.name)}(${cols.join(', ')}) VALUES(${cols.map(() => '?').join(', ')})`).run(...values);
    } else if (op.kind === 'delete') {
      db.prepare(`DELETE FROM ${q(t.name)} WHERE ${where}`).run(...keyValues);
    } else {
      const sets = [...new Set(op.columns.map((c) => c % t.types.length))].map((c) => [`c${c}`, op.values[c] ?? null] as const);
      const newKeys = op.newKey === null ? [] : keyColumns(t, op.newKey);
      const all = [...sets, ...newKeys];
      if (all.length === 0) continue;
      db.prepare(`UPDATE OR REPLACE ${q(t.name)} SET ${all.map(([c]) => `${c} = ?`).join(', ')} WHERE ${where}`).run(...all.map(([, v]) => v), ...keyValues);
    }
  }
}

const LARGE = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) & 0xff);

const sqlValue: fc.Arbitrary<SQLInputValue> = fc.oneof(
  fc.constant(null),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.constantFrom(2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n + 1n, 0n),
  fc.double({ noNaN: true }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.uint8Array({ maxLength: 24 }),
  fc.integer({ min: 1000, max: 70_000 }).map((n) => LARGE.slice(0, n)),
);

const tableSpec = (name: string): fc.Arbitrary<TableSpec> =>
  fc.record({
    name: fc.constant(name),
    key: fc.constantFrom<KeyKind>('rowid', 'text', 'composite', 'without-rowid'),
    types: fc.array(fc.constantFrom('', 'INTEGER', 'TEXT', 'REAL', 'BLOB', 'NUMERIC', 'ANY'), { minLength: 1, maxLength: 4 }),
  });

export const schemaArb: fc.Arbitrary<TableSpec[]> = fc
  .integer({ min: 1, max: NAMES.length })
  .chain((n) => fc.tuple(...NAMES.slice(0, n).map(tableSpec)));

const key = fc.integer({ min: 0, max: KEY_COUNT - 1 });
const values = fc.array(sqlValue, { minLength: 4, maxLength: 4 });
const table = fc.nat({ max: 2 });

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('insert' as const), table, key, values }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('update' as const),
      table,
      key,
      columns: fc.array(fc.nat({ max: 3 }), { maxLength: 3 }),
      values,
      newKey: fc.option(key, { freq: 5 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), table, key }) },
);

export const opsArb = (max = 20): fc.Arbitrary<Op[]> => fc.array(opArb, { minLength: Math.ceil(max / 2), maxLength: max });
