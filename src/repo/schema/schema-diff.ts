// Schema capture: the SQL that turns the base snapshot's schema into the live one,
// replayed before the changeset. What cannot be replayed as SQL is refused, with a way out.
import type { SqlValue } from '../../changeset/types.ts';
import { quoteIdent } from '../../changeset/value.ts';
import { SqlferryError } from '../../errors/index.ts';
import { addColumnStatements } from './add-column.ts';
import type { Schema, SchemaObject } from './schema-read.ts';

export interface SchemaDiff {
  statements: string[];
  /** Tables that exist on both sides; for those with added columns, the base's value of each added column. */
  addedDefaults: Map<string, SqlValue[]>;
  /** Tables created by this change: every live row is an insert. */
  createdTables: Set<string>;
}

const key = (o: SchemaObject): string => `${o.type}\u0000${o.name}`;
const DROP_ORDER = ['trigger', 'view', 'index'] as const;

export function diffSchema(base: Schema, live: Schema): SchemaDiff {
  const baseByKey = new Map(base.objects.map((o) => [key(o), o]));
  const liveByKey = new Map(live.objects.map((o) => [key(o), o]));
  const statements: string[] = [];
  const addedDefaults = new Map<string, SqlValue[]>();
  const createdTables = new Set<string>();

  for (const type of DROP_ORDER) {
    for (const o of base.objects) {
      if (o.type === type && liveByKey.get(key(o))?.sql !== o.sql) statements.push(`DROP ${type.toUpperCase()} ${quoteIdent(o.name)}`);
    }
  }
  for (const o of base.objects) {
    if (o.type === 'table' && !liveByKey.has(key(o))) statements.push(`DROP TABLE ${quoteIdent(o.name)}`);
  }
  for (const o of live.objects) {
    if (o.type !== 'table') continue;
    const before = baseByKey.get(key(o));
    if (before === undefined) {
      statements.push(o.sql);
      createdTables.add(o.name);
    } else if (before.sql !== o.sql) {
      const added = alteredTable(before, o, base, live);
      statements.push(...added.statements);
      addedDefaults.set(o.name, added.defaults);
    }
  }
  for (const o of live.objects) {
    if (o.type !== 'table' && baseByKey.get(key(o))?.sql !== o.sql) statements.push(o.sql);
  }
  return { statements, addedDefaults, createdTables };
}

function alteredTable(before: SchemaObject, after: SchemaObject, base: Schema, live: Schema): { statements: string[]; defaults: SqlValue[] } {
  const oldCols = base.tables.get(before.name)?.columns ?? [];
  const info = live.tables.get(after.name)!;
  const newCols = info.columns;
  const lost = oldCols.find((c, i) => newCols[i]?.name !== c.name);
  if (lost) {
    throw refusal(after.name, `column "${lost.name}" of table "${after.name}" was dropped or renamed`);
  }
  if (oldCols.some((c, i) => newCols[i]!.pk !== c.pk) || newCols.slice(oldCols.length).some((c) => c.pk > 0)) {
    throw refusal(after.name, `the primary key of table "${after.name}" changed`);
  }
  const added = addColumnStatements(before, after, info, oldCols.length);
  if (added === undefined) {
    throw refusal(after.name, `the definition of table "${after.name}" changed in a way other than ADD COLUMN`);
  }
  return added;
}

function refusal(table: string, what: string): SqlferryError {
  return new SqlferryError('SCHEMA_CHANGE_UNSUPPORTED', `cannot commit: ${what}; sqlferry can replay CREATE/DROP TABLE, ADD COLUMN, indexes, views and triggers, but not this`, {
    data: { table, what },
    hint: `to reshape "${table}", create a table with the new shape under a new name, copy the rows into it and drop the old one, then commit; or undo the change`,
  });
}
