// Which virtual tables sqlferry tracks, and how. A full-text (fts3, fts4, fts5) or R*Tree
// table that keeps its own rows is tracked by rowid like an ordinary table: its rows are
// shipped and applied through the module, which updates its index (its shadow tables are
// never shipped). An external-content full-text table (content='t') reads its rows from
// table t: shipping them would index them twice, so it is rebuilt from t after changes
// reach t (fullTextRebuilds). A contentless one (content='') cannot be read back.
import type { DatabaseSync } from 'node:sqlite';
import { quoteIdent } from '../../changeset/value.ts';
import type { TableInfo } from './schema-read.ts';

export function virtualTableSql(db: DatabaseSync, schemaIdent: string, name: string): string {
  const row = db.prepare(`SELECT sql FROM ${schemaIdent}.sqlite_schema WHERE type = 'table' AND name = ?`).get(name) as { sql: string | null } | undefined;
  return row?.sql ?? '';
}

/** How a virtual table created by `sql` is tracked: by rowid (nothing set), rebuilt from `indexes`, or `untracked`. */
export function virtualTableTracking(sql: string): Pick<TableInfo, 'untracked' | 'indexes'> {
  const module = /\bUSING\s+([A-Za-z0-9_]+)/i.exec(sql)?.[1]?.toLowerCase() ?? '';
  if (module === 'rtree' || module === 'rtree_i32') return {};
  if (!/^fts[345]$/.test(module)) {
    return { untracked: `it is a virtual table of module "${module}", whose content changesets cannot describe` };
  }
  const content = contentOption(sql);
  if (content === undefined) return {};
  if (content === '') return { untracked: 'it is a contentless full-text index: its rows cannot be read back, so they cannot be shipped' };
  return { indexes: content, untracked: `it is a full-text index of table "${content}": rebuilt from that table on each replica, not shipped` };
}

/** The value of a full-text table's content= option, or undefined when it has none. */
function contentOption(sql: string): string | undefined {
  const m = /[(,]\s*content\s*=\s*(?:'((?:[^']|'')*)'|"((?:[^"]|"")*)"|`([^`]*)`|\[([^\]]*)\]|([A-Za-z_][\w$]*))/i.exec(sql);
  if (m === null) return undefined;
  if (m[1] !== undefined) return m[1].replace(/''/g, "'");
  if (m[2] !== undefined) return m[2].replace(/""/g, '"');
  return m[3] ?? m[4] ?? m[5];
}

/**
 * The external-content full-text tables of `db` whose content table is among `touched`
 * (names compared case-blind): after sqlferry applied changes with triggers suspended, their
 * index no longer matches their content until rebuilt.
 */
export function rebuildFullTextIndexes(db: DatabaseSync, touched: ReadonlySet<string>): void {
  if (touched.size === 0) return;
  const rows = db.prepare("SELECT name, sql FROM main.sqlite_schema WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'").all() as Array<{ name: string; sql: string }>;
  for (const { name, sql } of rows) {
    const { indexes } = virtualTableTracking(sql);
    if (indexes === undefined || !touched.has(indexes.toLowerCase())) continue;
    const t = quoteIdent(name);
    db.exec(`INSERT INTO main.${t}(${t}) VALUES ('rebuild')`);
  }
}
