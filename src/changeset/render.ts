// Changes as text for people and scripts: executable SQL statements, and JSON objects
// (the shape is a stable contract, documented in docs/CLI_JSON_OUTPUT.md).
import type { Change, SqlValue, TableHeader } from './types.ts';
import { isValidUtf8, quoteIdent, sqlLiteral } from './value.ts';
import { pkBytes } from './writer.ts';

/** Column names of a table, when known (a changeset holds only their count and key flags). */
export type ColumnNames = (table: TableHeader) => string[] | undefined;

/**
 * One SQL statement per change, without a trailing newline. Columns are named by
 * `columnNames`; without it (or when it does not know the table) they are c1, c2, … in table order.
 */
export function* renderSql(changes: Iterable<Change>, columnNames: ColumnNames = () => undefined): Generator<string> {
  let table: TableHeader | undefined;
  let names: string[] = [];
  for (const change of changes) {
    if (change.table !== table) {
      table = change.table;
      const known = columnNames(table);
      names = (known?.length === table.pk.length ? known : table.pk.map((_, i) => `c${i + 1}`)).map(quoteIdent);
    }
    yield statement(change, quoteIdent(table.name), names);
  }
}

function statement(change: Change, target: string, names: string[]): string {
  const pk = change.table.pk;
  if (change.op === 'INSERT') {
    return `INSERT INTO ${target}(${names.join(', ')}) VALUES(${change.new!.map(sqlLiteral).join(', ')});`;
  }
  const keyColumns = names.flatMap((name, i) => (pk[i] ? [`${name} = ${sqlLiteral(change.old![i]!)}`] : []));
  const where = keyColumns.join(' AND ');
  if (change.op === 'DELETE') return `DELETE FROM ${target} WHERE ${where};`;
  const sets = names.flatMap((name, i) => {
    const v = change.new![i]!;
    return pk[i] || v.type === 'undefined' ? [] : [`${name} = ${sqlLiteral(v)}`];
  });
  // An UPDATE that changes nothing (SQLite never writes one) still renders as valid SQL: SET key = key.
  return `UPDATE ${target} SET ${sets.length > 0 ? sets.join(', ') : keyColumns[0]} WHERE ${where};`;
}

export type JsonValue =
  | { type: 'integer'; value: number | string }
  | { type: 'real'; value: number | string }
  | { type: 'text'; value: string; hex?: string }
  | { type: 'blob'; value: string }
  | { type: 'null' };

export interface JsonChange {
  table: string;
  op: Change['op'];
  indirect: boolean;
  pk: number[];
  old: Array<JsonValue | null> | null;
  new: Array<JsonValue | null> | null;
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

export function jsonValue(v: SqlValue): JsonValue | null {
  switch (v.type) {
    case 'integer': {
      const safe = v.value >= BigInt(Number.MIN_SAFE_INTEGER) && v.value <= BigInt(Number.MAX_SAFE_INTEGER);
      return { type: 'integer', value: safe ? Number(v.value) : v.value.toString() };
    }
    case 'real':
      // A JSON number cannot carry these: -0 would print as 0, NaN and the infinities not at all.
      if (Object.is(v.value, -0)) return { type: 'real', value: '-0' };
      return { type: 'real', value: Number.isFinite(v.value) ? v.value : String(v.value) };
    case 'text':
      return isValidUtf8(v.value)
        ? { type: 'text', value: Buffer.from(v.value).toString('utf8') }
        : { type: 'text', value: Buffer.from(v.value).toString('utf8'), hex: hex(v.value) };
    case 'blob':
      return { type: 'blob', value: hex(v.value) };
    case 'null':
      return { type: 'null' };
    case 'undefined':
      return null;
  }
}

/** A change as a plain JSON-ready object: one line of `sqlferry changeset dump`. */
export function renderJson(change: Change): JsonChange {
  const { table } = change;
  return {
    table: table.name,
    op: change.op,
    indirect: change.indirect,
    pk: pkBytes(table),
    old: change.old ? change.old.map(jsonValue) : null,
    new: change.new ? change.new.map(jsonValue) : null,
  };
}
