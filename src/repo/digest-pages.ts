// The content digest of a database file no one else writes (a clone's downloaded snapshot,
// genesis.db, a checkout), read from its pages rather than by SQL: each table keyed by its
// rowid has its b-tree walked and its rows written as changeset INSERT records
// (capture/appended-records.ts), whose digest change (addChangesetDelta) is the table's digest.
// The same cells as digest-scan.ts reads, bit for bit, without node:sqlite handing every value
// to JavaScript (70 s per GB of database before).
//
// The file may come from a hub, and be crafted: the walk reads only what it parses exactly, as
// SQLite would, and a table it refuses (or whose pages do not parse) is scanned by SQL, which
// reports a damaged file as it always did. The rows it counts are those SQLite's scan returns:
// every leaf reached from the root in order, rowids strictly ascending (no page twice).
import type { DatabaseSync } from 'node:sqlite';
import { addChangesetDelta, lanesOf, type TableDigests } from '../changeset/digest.ts';
import { CellBatch } from '../changeset/digest-cells.ts';
import { quoteIdent } from '../changeset/value.ts';
import { appendedRecords, dropKeptKernel, type AppendedTable } from './capture/appended-records.ts';
import { headerOf } from './capture/capture.ts';
import { scanTable } from './digest-scan.ts';
import { rowidKey } from './pages/key-ranges.ts';
import { SnapshotPages } from './pages/snapshot-pages.ts';
import { hasRealAffinity, keyedColumns, readSchema, trackedTables, type TableInfo } from './schema/schema-read.ts';

export interface PageDigests {
  /** What scanDigests gives, bit for bit. */
  digests: TableDigests;
  /** The tables read from their pages (the others were scanned by SQL). */
  walked: string[];
}

/**
 * scanDigests's result for the database `db` has open at `path`, a file no one writes while it
 * is read. Read through SnapshotPages (a descriptor never closed: `db`'s locks stay).
 */
export function digestsFromPages(db: DatabaseSync, path: string, only?: ReadonlySet<string>): PageDigests {
  const digests: TableDigests = new Map();
  const walked: string[] = [];
  const cells = new CellBatch();
  const opened = SnapshotPages.open(path);
  const pages = typeof opened === 'string' ? null : opened;
  try {
    const sqlitePages = Number((db.prepare('PRAGMA main.page_count').get() as { page_count: unknown }).page_count);
    const readable = pages !== null && pages.pageCount === sqlitePages;
    for (const table of trackedTables(readSchema(db))) {
      if (only !== undefined && !only.has(table.name.toLowerCase())) continue;
      const lanes = lanesOf(digests, table.name);
      const walk = readable ? walkOf(db, table) : 'its pages are not read';
      if (typeof walk !== 'string' && typeof appendedRecords(pages!, walk, (piece) => addChangesetDelta(piece, digests)) === 'number') {
        walked.push(table.name);
        continue;
      }
      lanes.fill(0); // what a walk given up added
      scanTable(db, table, cells, digests);
    }
    cells.finish();
  } finally {
    pages?.close();
    dropKeptKernel();
  }
  return { digests, walked };
}

/** What the walk needs of `table`, or why its rows are not read from its pages. */
function walkOf(db: DatabaseSync, table: TableInfo): AppendedTable | string {
  const key = rowidKey(db, 'main', table.name);
  if (typeof key !== 'string') return key.whole;
  const hidden = Number((db.prepare(`SELECT count(*) AS n FROM pragma_table_xinfo(?, 'main') WHERE hidden <> 0`).get(table.name) as { n: unknown }).n);
  if (hidden > 0) return 'it has generated columns';
  const root = db.prepare(`SELECT rootpage FROM main.sqlite_schema WHERE type = 'table' AND name = ?`).get(table.name) as { rootpage: unknown } | undefined;
  if (root === undefined) return `no table ${quoteIdent(table.name)}`;
  const columns = keyedColumns(table);
  const keyIndex = table.rowid !== undefined ? -1 : columns.findIndex((col) => col.name === key);
  return { header: headerOf(table), keyIndex, real: columns.map((col, i) => i !== keyIndex && (table.rowid === undefined || i > 0) && hasRealAffinity(col.type)), root: Number(root.rootpage), above: null };
}
