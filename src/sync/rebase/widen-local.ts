// Unpushed local commits may write one table at two widths: rows written, then a column
// added (ALTER TABLE ADD COLUMN), then more rows. One changeset cannot hold both widths, so
// before they are squashed, the older changes are widened to the table as the local commits
// left it — as SQLite itself treated those rows when the column was added: an existing row
// got the column's DEFAULT (INSERT's new and DELETE's old values take it), an UPDATE did not
// touch it (undefined).
import type { DatabaseSync } from 'node:sqlite';
import { iterateChanges, writeChangeset } from '../../changeset/index.ts';
import type { Change, SqlValue, TableHeader } from '../../changeset/types.ts';
import { UNDEFINED } from '../../changeset/value.ts';
import type { LogEntry } from '../../repo/log/log.ts';
import { Shapes } from '../table-shape.ts';

/** Each table's widest width across the entries, where entries disagree; empty when all agree. */
function widthsToWiden(local: LogEntry[]): Map<string, number> {
  const seen = new Map<string, Set<number>>();
  for (const e of local) {
    for (const c of iterateChanges(e.bytes)) {
      const widths = seen.get(c.table.name) ?? new Set<number>();
      widths.add(c.table.pk.length);
      seen.set(c.table.name, widths);
    }
  }
  return new Map([...seen].filter(([, w]) => w.size > 1).map(([t, w]) => [t, Math.max(...w)]));
}

/** The entries' bytes, the narrow changes widened; `db` has the local commits' schema. */
export function widenedBytes(db: DatabaseSync, local: LogEntry[]): Uint8Array[] {
  const widths = widthsToWiden(local);
  if (widths.size === 0) return local.map((e) => e.bytes);
  const shapes = new Shapes(db);
  const headers = new Map<TableHeader, TableHeader>();
  const widen = (c: Change): Change => {
    const n = widths.get(c.table.name);
    const width = c.table.pk.length;
    if (n === undefined || width >= n) return c;
    const defaults: SqlValue[] = shapes.of(c.table.name).defaults().slice(width, n);
    const pad = (values: SqlValue[] | undefined, fill: SqlValue[]) => (values ? [...values, ...fill] : undefined);
    let table = headers.get(c.table);
    if (!table) {
      const more = <T>(xs: T[], v: T) => [...xs, ...Array.from({ length: n - width }, () => v)];
      table = { ...c.table, pk: more(c.table.pk, false), ...(c.table.pkIndex ? { pkIndex: more(c.table.pkIndex, 0) } : {}) };
      headers.set(c.table, table);
    }
    const unchanged = defaults.map(() => UNDEFINED);
    if (c.op === 'INSERT') return { ...c, table, new: pad(c.new, defaults) };
    if (c.op === 'DELETE') return { ...c, table, old: pad(c.old, defaults) };
    return { ...c, table, old: pad(c.old, unchanged), new: pad(c.new, unchanged) };
  };
  return local.map((e) => writeChangeset('changeset', [...iterateChanges(e.bytes)].map(widen)));
}
