// A capture's appended rows taken from the live pages (appended-records.ts) rather than
// through a TEMP copy and a session: at the end of step 1 of capture-base.ts, still inside the
// read of the live database, each table whose new rows are proven appended has their INSERT
// records written straight from its leaves — into the entry itself while every change before
// them is in it (a bulk load), else into a file of their own that step 2 appends after the
// table's other changes — and base.db takes the same rows by one plain INSERT … SELECT from
// the live table. A session would record those rows and read every one back to write its
// changeset: about four times the cost of the INSERT alone.
//
// base.db is then written inside the read, before the entry is published: only without a
// journal, behind the durable marker of base-unjournaled.ts (a commit cut short anywhere leaves
// the marker, and base.db is rebuilt from the log), with its fsync left to step 2's COMMIT
// (capture-entry.ts turns synchronous off for step 1), so the live database's read lock is not
// held over an fsync. The disk is set writing early, on libuv's thread pool (an fsync not waited
// for): the entry's records while base.db takes the rows, base.db's rows while the page map is
// made and the entry published. The fsyncs that make them durable stay where they were; these
// only find less to write (a bulk load: ≈ 0.35 s of 2.4 s of wall time). Any table not sure to
// be read exactly is copied as before (copyAppended), and `notes` say why (-v).
import type { DatabaseSync } from 'node:sqlite';
import { startWriteBack } from '../pages/held-descriptor.ts';
import { quoteIdent } from '../../changeset/value.ts';
import { suspendTriggers, noteApplied } from '../apply/apply.ts';
import { appendedRecords, type AppendedTable } from './appended-records.ts';
import { hasRealAffinity } from '../schema/schema-read.ts';
import { needsNoRollback, startUnjournaled, UNJOURNALED_FROM_ROWS } from '../base/base-unjournaled.ts';
import { BASE_MAIN, copyAppended, type CollectedTable } from './capture-base.ts';
import { headerOf } from './capture.ts';
import { EntryFile } from './entry-file.ts';
import type { Stamp } from '../pages/fingerprint.ts';
import { entryPaths, type SidecarPaths } from '../sidecar.ts';
import { SnapshotPages, snapshotStillRead } from '../pages/snapshot-pages.ts';

export interface AppendedFromPages {
  /** The entry, when records were written into it already. */
  entry: EntryFile | null;
  /** base.db is being written without a journal (the marker is down). */
  unjournaled: boolean;
  notes: string[];
}

/**
 * Step 1's end, inside the read (the live database attached as BASE_MAIN.live): every table
 * of `collected` with rows proven appended gets them from the pages, or copied as before.
 * `schemaChanged`: base.db's tables are not yet the live ones.
 */
export function appendedFromPages(db: DatabaseSync, paths: SidecarPaths, seq: number, before: Stamp | undefined, collected: CollectedTable[], schemaChanged: boolean): AppendedFromPages {
  const result: AppendedFromPages = { entry: null, unjournaled: false, notes: [] };
  const candidates = collected.filter((c) => c.appended !== undefined);
  if (candidates.length === 0) return result;
  /** Copied as before; `why` said (-v) when as many rows as a bulk load's. */
  const fallBack = (why: string, tables = candidates): AppendedFromPages => {
    let rows = 0;
    for (const c of tables) {
      c.fromPages?.side?.discard();
      c.fromPages = undefined;
      rows += copyAppended(db, c).insertedUpTo - c.changedUpTo;
    }
    if (rows >= UNJOURNALED_FROM_ROWS) result.notes.push(`new rows of ${tables.map((c) => c.table.name).join(', ')} copied, not read from the pages: ${why}`);
    return result;
  };
  if (schemaChanged) return fallBack('the schema changed');
  if (!needsNoRollback(db, BASE_MAIN.live, collected)) return fallBack('a changed table has a UNIQUE index or no PRIMARY KEY');
  const pages = SnapshotPages.open(paths.db);
  if (typeof pages === 'string') return fallBack(pages);
  try {
    // Records go into the entry while no change of step 2 comes before them in it.
    let direct = true;
    for (const c of collected) {
      if (c.appended === undefined) {
        direct &&= c.insertedUpTo === 0;
        continue;
      }
      direct &&= c.changedUpTo === 0;
      const table = describe(db, c);
      if (typeof table === 'string') {
        fallBack(table, [c]);
        direct = false;
        continue;
      }
      // The files are made at the first piece: a table with no new row makes none.
      const mark = direct ? result.entry?.mark() : undefined;
      const side: { file: EntryFile | null } = { file: null };
      const sink = (): EntryFile => (direct ? (result.entry ??= new EntryFile(entryPaths(paths, seq).bytes)) : (side.file ??= new EntryFile(`${entryPaths(paths, seq).bytes}.${c.copy}`)));
      const rows = appendedRecords(pages, table, (piece) => sink().append(piece, true));
      if (typeof rows === 'string') {
        if (mark !== undefined) result.entry!.rewind(mark);
        else if (direct) dropEntry(result);
        side.file?.discard();
        fallBack(rows, [c]);
        direct = false;
        continue;
      }
      c.fromPages = { rows, side: side.file };
    }
    const taken = collected.filter((c) => c.fromPages !== undefined);
    if (taken.length === 0) return result;
    // A few rows save little, and would cost the marker's fsyncs and a rebuild after a crash (base-unjournaled.ts).
    if (collected.reduce((n, c) => n + c.insertedUpTo + (c.fromPages?.rows ?? 0), 0) < UNJOURNALED_FROM_ROWS) {
      dropEntry(result);
      return fallBack('few rows', taken);
    }
    const count = Number((db.prepare(`PRAGMA ${BASE_MAIN.live}.page_count`).get() as { page_count: unknown }).page_count);
    const stale = snapshotStillRead(paths, before, pages, count);
    if (stale !== null || !(result.unjournaled = startUnjournaled(paths, db, seq))) {
      dropEntry(result);
      return fallBack(stale ?? 'base.db cannot be written without a journal here', taken);
    }
    result.entry?.startWriteBack();
    insertAppended(db, taken);
    startWriteBack(paths.base);
    result.notes.push(`new rows read from the pages: ${taken.map((c) => `${c.table.name} ${c.fromPages!.rows}`).join(', ')}`);
    return result;
  } catch (err) {
    for (const c of collected) c.fromPages?.side?.discard();
    dropEntry(result);
    throw err;
  } finally {
    pages.close();
  }
}

function dropEntry(result: AppendedFromPages): void {
  result.entry?.discard();
  result.entry = null;
}

/** What the walk needs of a table, or why its records cannot be made from its pages. */
function describe(db: DatabaseSync, c: CollectedTable): AppendedTable | string {
  const { table, appended } = c;
  const live = quoteIdent(BASE_MAIN.live);
  const hidden = Number((db.prepare(`SELECT count(*) AS n FROM pragma_table_xinfo(?, ?) WHERE hidden <> 0`).get(table.name, BASE_MAIN.live) as { n: unknown }).n);
  if (hidden > 0) return 'it has generated columns';
  const root = db.prepare(`SELECT rootpage FROM ${live}.sqlite_schema WHERE type = 'table' AND name = ?`).get(table.name) as { rootpage: unknown } | undefined;
  const keyIndex = table.columns.findIndex((col) => col.name === appended!.key);
  if (root === undefined || keyIndex < 0) return 'its key is not a column';
  return { header: headerOf(table), keyIndex, real: table.columns.map((col) => hasRealAffinity(col.type)), root: Number(root.rootpage), above: appended!.above };
}

/** base.db takes the rows whose records were taken, straight from the live table (the base's table is the same: no schema change). */
function insertAppended(db: DatabaseSync, taken: CollectedTable[]): void {
  const restoreTriggers = suspendTriggers(db);
  for (const c of taken) {
    const t = quoteIdent(c.table.name);
    const above = c.appended!.above;
    // Without a condition, SQLite copies each record as it is, undecoded (its transfer optimization).
    const where = above === null ? '' : ` WHERE ${quoteIdent(c.appended!.key)} > ${above}`;
    noteApplied(db, c.table.name);
    const { changes } = db.prepare(`INSERT INTO main.${t} SELECT * FROM ${quoteIdent(BASE_MAIN.live)}.${t}${where}`).run();
    // Not expected: the walk's rows are the transaction's. base.db is left to be rebuilt (its marker stays).
    if (Number(changes) !== c.fromPages!.rows) throw new Error(`${c.table.name}: ${c.fromPages!.rows} rows read from the pages, ${changes} inserted`);
    c.appended = undefined;
  }
  restoreTriggers();
}
