// A session's changeset holds only what it recorded: per change the table's name, columns and
// key, the row's old image (from the preupdate hook), and its new values read back from the
// table by key when changeset() runs, in an order set by the changes' keys and the order they
// were made in. So the same statements run on a TEMP table of the same declaration holding only
// the rows they touch (their old images, with their rowids) record the same bytes as on base.db,
// and base.db is written by plain statements: no session hook on it and no read-back of every
// changed row (a spread edit's read-back read ≈ 16,000 pages of base.db again), and its deletes
// and updates go in small batches whose pages the cache still holds from the batch's first read
// (SQLite reads each row twice in a DELETE … IN and an UPDATE … FROM: first the rows, then each
// row again to change it).
import type { DatabaseSync } from 'node:sqlite';
import type { TableInfo } from '../schema/schema-read.ts';

/**
 * Changed rows per batch of base.db's deletes and updates: their pages fit what SQLite's default
 * 2 MB cache keeps for clean pages once the pages written fill the rest (a tenth of it: with 64,
 * a spread edit read 4,700 of its 10,400 leaves a second time between the batch's statements).
 */
export const TWIN_BATCH_ROWS = 32;

/**
 * Creates the twin of main's `table` in `temp`: same declaration, same name (`temp.NAME`, every
 * statement of the capture names its schema). Undefined where its sessions could record other
 * bytes or base.db's order of writes matters: a UNIQUE index besides the key (base.db, written in
 * batches, could meet a value handed from row to row where the sessions' order did not, or the
 * reverse), statistics that may plan base.db's statements otherwise than the twin's, a TEMP
 * name taken, a rowid no name reaches.
 */
export function createTwin(db: DatabaseSync, table: TableInfo): { rowid: string | undefined } | undefined {
  const declared = db.prepare(`SELECT sql FROM main.sqlite_schema WHERE type = 'table' AND name = ?`).get(table.name) as { sql: string | null } | undefined;
  if (declared?.sql?.startsWith('CREATE TABLE ') !== true) return undefined;
  const unique = db.prepare(`SELECT count(*) AS n FROM pragma_index_list(?, 'main') WHERE "unique" AND origin <> 'pk'`).get(table.name) as { n: unknown };
  if (Number(unique.n) !== 0) return undefined;
  if (db.prepare(`SELECT 1 FROM main.sqlite_schema WHERE name IN ('sqlite_stat1', 'sqlite_stat4') UNION ALL SELECT 1 FROM temp.sqlite_schema WHERE name = ? COLLATE NOCASE`).get(table.name) !== undefined) return undefined;
  // Deletes of a table with a rowid go in rowid order: the twin's rows keep base.db's rowids.
  const rowid = table.withoutRowid ? undefined : ['rowid', '_rowid_', 'oid'].find((r) => !table.columns.some((c) => c.name.toLowerCase() === r));
  if (!table.withoutRowid && rowid === undefined) return undefined;
  // One statement, prepared: nothing after the declaration runs, whatever the stored text holds.
  db.prepare(`CREATE TEMP TABLE ${declared.sql.slice('CREATE TABLE '.length)}`).run();
  return { rowid };
}
