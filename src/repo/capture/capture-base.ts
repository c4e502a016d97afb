// `commit`'s capture, written by SQLite into the base as it goes, on one connection with
// base.db as `main` and the live database attached as `live`, in two transactions:
// 1. (collect) a read of the live database: per table, the rows that differ are copied into a
//    TEMP table — the keys of the base rows gone from it, the live rows that changed or are new
//    — by the two joins of captureTable, in SQL only (the second spared when counts prove the
//    new rows appended: appended-rows.ts). This is all the time the live database is
//    read: an application waits for no fsync of sqlferry's.
// 2. (write) base.db is made equal to the live rows from those copies — deletes, then updates,
//    then inserts, a range of rows at a time — each range under its own session, whose
//    changeset (SQLite's own bytes) is appended to the entry; the deletes and updates recorded
//    on a TEMP twin of the table, base.db taking them without a session (capture-twin.ts). So
//    the base moves in the pass that captures, and memory holds one range's changeset, never
//    the whole entry.
// A session cannot record a table tracked by rowid in node:sqlite, nor can SQL statements
// replay a UNIQUE value handed from row to row in key order (SQLite's apply retries those):
// such a table's changes are encoded in JavaScript from the same copies, then applied.
import type { DatabaseSync } from 'node:sqlite';
import { startWriteBack } from '../pages/held-descriptor.ts';
import type { Change, SqlValue } from '../../changeset/types.ts';
import { writeChangeset } from '../../changeset/index.ts';
import { quoteIdent } from '../../changeset/value.ts';
import { SqlferryError } from '../../errors/index.ts';
import { applyChecked, noteApplied } from '../apply/apply.ts';
import { comparisonSql, headerOf, updateOf, type Sides } from './capture.ts';
import { FIRST_PIECE_ROWS, nextPieceRows, PIECE_BYTES, type EntryFile } from './entry-file.ts';
import { appendedRows, type Appended } from './appended-rows.ts';
import { scansOf, type KeyRanges } from '../pages/key-ranges.ts';
import type { TableInfo } from '../schema/schema-read.ts';
import { createTwin, TWIN_BATCH_ROWS } from './capture-twin.ts';
import { exactColumnList, readValues } from './values.ts';
import { realDefaultsOf, withRealDefaults } from './real-defaults.ts';
import { foldAscii } from '../../changeset/validate.ts';

/** base.db is `main`, the live database `live`. */
export const BASE_MAIN: Sides = { live: 'live', base: 'main' };

/** Batches of base.db's deletes and updates (TWIN_BATCH_ROWS rows each) between two write-backs started, without a journal. */
const WRITE_BACK_BATCHES = 64;

const OP = { delete: 0, update: 1, insert: 2 } as const;

/**
 * Above this share of a table's row pages, counting the rows of its key ranges one by one costs
 * more than counting the whole table from its pages' cell counts (1,000,000 rows, ranges over
 * 57% of the pages: 105–120 ms of CPU against 77–81 ms).
 */
const RANGED_COUNT_SHARE = 0.4;

/** One table's differing rows, copied into a TEMP table (`n` numbers them, `op` says what they are). */
export interface CollectedTable {
  table: TableInfo;
  copy: string;
  /** The copy's own two columns (`n`, `op`), named apart from the table's columns. */
  n: string;
  op: string;
  /** Rows 1..changedUpTo are deletes (keys only) and updates (live rows); then inserts up to insertedUpTo. */
  changedUpTo: number;
  insertedUpTo: number;
  /**
   * The new rows, proven appended (appended-rows.ts), when they may be taken from the live
   * pages instead (capture-appended.ts): not copied yet, until copyAppended.
   */
  appended?: Appended;
  /** The appended rows, taken from the pages: their records, in the entry already or in a file of their own (`side`) to append after this table's other changes. */
  fromPages?: { rows: number; side: EntryFile | null };
}

/**
 * Step 1, inside the read transaction: copy what differs. `created`: the base has no such table
 * yet; `addedDefaults`: the base's value of each column added since (it has not the columns yet);
 * `within`: only rows in these key ranges can differ (key-ranges.ts).
 */
export function collectTable(db: DatabaseSync, table: TableInfo, index: number, created: boolean, addedDefaults?: SqlValue[], within?: KeyRanges): CollectedTable {
  const sql = comparisonSql(table, addedDefaults);
  const t = quoteIdent(table.name);
  const scan = scansOf(db, table.name, within);
  const copy = `sqlferry_capture_${index}`;
  const cols = sql.cols.map((c) => quoteIdent(c.name));
  const n = unusedName('sqlferry_n', sql.cols);
  const op = unusedName('sqlferry_op', sql.cols);
  db.exec(`DROP TABLE IF EXISTS temp.${copy}; CREATE TEMP TABLE ${copy}(${n} INTEGER PRIMARY KEY, ${op} INTEGER, ${cols.join(', ')})`);
  const into = `INSERT INTO temp.${copy}(${op}, ${cols.join(', ')})`;
  if (!created) {
    // A key from the base row (the live row's is the same, byte for byte); other columns from the live row (NULL when gone).
    const values = sql.cols.map((_, i) => (sql.keys.includes(i) ? sql.b(i) : sql.a(i)));
    db.exec(`${into} SELECT CASE WHEN ${sql.liveMissing} THEN ${OP.delete} ELSE ${OP.update} END, ${values.join(', ')}
      FROM ${scan('main', 'B')} LEFT JOIN live.${t} AS A ON ${sql.sameKey} WHERE ${sql.baseKeyNotNull} AND (${sql.goneOrDiffers})`);
  }
  const changedUpTo = lastRow(db, copy, n);
  const countWithin = within !== undefined && within.rows === undefined && within.share < RANGED_COUNT_SHARE;
  const appended = created ? undefined : appendedRows(db, table.name, 'main', 'live', deletesIn(db, copy, op), countWithin ? scan : undefined, within?.rows);
  const collected: CollectedTable = { table, copy, n, op, changedUpTo, insertedUpTo: changedUpTo };
  if (appended !== undefined && addedDefaults === undefined) return { ...collected, appended };
  if (appended !== undefined) return copyAppended(db, { ...collected, appended });
  const live = sql.cols.map((_, i) => sql.a(i)).join(', ');
  db.exec(
    created ? `${into} SELECT ${OP.insert}, ${live} FROM ${scan('live', 'A')} WHERE ${sql.liveKeyNotNull}`
    : `${into} SELECT ${OP.insert}, ${live} FROM ${scan('live', 'A')} LEFT JOIN main.${t} AS B ON ${sql.sameKey} WHERE ${sql.liveKeyNotNull} AND ${sql.baseMissing}`,
  );
  return { ...collected, insertedUpTo: lastRow(db, copy, n) };
}

/** Still inside step 1's read: the appended rows of `collected` copied as its inserts, as any table's (not taken from the pages). */
export function copyAppended(db: DatabaseSync, collected: CollectedTable): CollectedTable {
  const { table, copy, n, op, appended } = collected;
  if (appended === undefined) return collected;
  const sql = comparisonSql(table);
  const cols = sql.cols.map((c) => quoteIdent(c.name));
  const where = appended.above === null ? '' : `WHERE A.${quoteIdent(appended.key)} > ${appended.above}`;
  db.exec(`INSERT INTO temp.${copy}(${op}, ${cols.join(', ')}) SELECT ${OP.insert}, ${sql.cols.map((_, i) => sql.a(i)).join(', ')} FROM live.${quoteIdent(table.name)} AS A ${where}`);
  return Object.assign(collected, { appended: undefined, insertedUpTo: lastRow(db, copy, n) });
}

/** Step 2, inside base.db's write transaction (its schema now the live one): write one table's changes. */
export function writeTable(db: DatabaseSync, collected: CollectedTable, entry: EntryFile): void {
  writeCopied(db, collected, entry);
  const side = collected.fromPages?.side;
  if (side) {
    entry.appendFrom(side);
    side.discard();
  }
}

function writeCopied(db: DatabaseSync, collected: CollectedTable, entry: EntryFile): void {
  if (collected.insertedUpTo === 0) return;
  noteApplied(db, collected.table.name);
  // Without a journal (base-unjournaled.ts) nothing rolls back: a failure is the caller's to report.
  const canRollBack = (db.prepare('PRAGMA main.journal_mode').get() as { journal_mode: string }).journal_mode !== 'off';
  db.exec('SAVEPOINT sqlferry_table');
  const mark = entry.mark();
  try {
    if (collected.table.rowid !== undefined) writeInJs(db, collected, entry);
    else {
      try {
        writeWithSessions(db, collected, entry, canRollBack);
      } catch (err) {
        if (!isConstraint(err) || !canRollBack) throw err;
        db.exec('ROLLBACK TO sqlferry_table');
        entry.rewind(mark);
        writeInJs(db, collected, entry);
      }
    }
    db.exec('RELEASE sqlferry_table');
  } catch (err) {
    db.exec('ROLLBACK TO sqlferry_table');
    db.exec('RELEASE sqlferry_table');
    throw err;
  }
}

function writeWithSessions(db: DatabaseSync, { table, copy, n, op: opColumn, changedUpTo, insertedUpTo }: CollectedTable, entry: EntryFile, canRollBack: boolean): void {
  const sql = comparisonSql(table); // A: the copy of the live rows; B: the base
  const t = quoteIdent(table.name);
  const cols = sql.cols.map((c) => quoteIdent(c.name));
  const keys = sql.keys.map((i) => cols[i]!);
  const inRange = `A.${n} BETWEEN ? AND ? AND A.${opColumn} = ?`;
  const sameKey = keys.map((k) => `B.${k} = A.${k}`).join(' AND ');
  // A column keeps its base value unless it differs as the capture compares (a REAL -0.0
  // against 0.0 does not), so the base holds exactly what the changesets say.
  const set = sql.cols.map((_, i) => (sql.differs[i] === '' ? '' : `${cols[i]} = CASE WHEN ${sql.differs[i]} THEN ${sql.a(i)} ELSE ${sql.b(i)} END`)).filter((s) => s !== '');
  const dml = (schema: string): Record<number, string> => ({
    [OP.delete]: `DELETE FROM ${schema}.${t} WHERE (${keys.join(', ')}) IN (SELECT ${keys.map((k) => `A.${k}`).join(', ')} FROM temp.${copy} AS A WHERE ${inRange})`,
    [OP.update]: `UPDATE ${schema}.${t} AS B SET ${set.join(', ')} FROM temp.${copy} AS A WHERE ${inRange} AND ${sameKey}`,
    [OP.insert]: `INSERT INTO ${schema}.${t}(${cols.join(', ')}) SELECT ${cols.map((c) => `A.${c}`).join(', ')} FROM temp.${copy} AS A WHERE ${inRange}`,
  });
  // The deletes and updates recorded on the twin (capture-twin.ts), base.db written without a session.
  const twin = changedUpTo > 0 ? createTwin(db, table) : undefined;
  if (twin !== undefined) {
    const rowid = twin.rowid === undefined ? [] : [quoteIdent(twin.rowid)];
    const fill = db.prepare(`INSERT INTO temp.${t}(${[...rowid, ...cols].join(', ')}) SELECT ${[...rowid, ...cols].map((c) => `B.${c}`).join(', ')}
      FROM temp.${copy} AS A JOIN main.${t} AS B ON ${sameKey} WHERE A.${n} BETWEEN ? AND ? AND A.${opColumn} <> ${OP.insert}`);
    const [remove, update] = [db.prepare(dml('main')[OP.delete]!), set.length === 0 ? undefined : db.prepare(dml('main')[OP.update]!)];
    // Without a journal, the pages the cache spills are base.db's own: the disk writes them back
    // as the batches go, not all in the fsync of the entry's publish or of the COMMIT.
    const writtenBack = canRollBack ? null : db.location('main');
    for (let lo = 1; lo <= changedUpTo; lo += TWIN_BATCH_ROWS) {
      const hi = Math.min(changedUpTo, lo + TWIN_BATCH_ROWS - 1);
      fill.run(lo, hi);
      remove.run(lo, hi, OP.delete);
      update?.run(lo, hi, OP.update);
      if (writtenBack !== null && ((lo - 1) / TWIN_BATCH_ROWS) % WRITE_BACK_BATCHES === WRITE_BACK_BATCHES - 1) startWriteBack(writtenBack);
    }
  }
  const realDefaults = realDefaultsOf(table);
  const asRead = realDefaults === undefined ? new Map<string, boolean[]>() : new Map([[foldAscii(table.name), realDefaults]]);
  for (const [from, to, op] of [[1, changedUpTo, OP.delete], [1, changedUpTo, OP.update], [changedUpTo + 1, insertedUpTo, OP.insert]] as const) {
    if (from > to || (op === OP.update && set.length === 0)) continue;
    const schema = twin !== undefined && op !== OP.insert ? 'temp' : 'main';
    const stmt = db.prepare(dml(schema)[op]!);
    let size = FIRST_PIECE_ROWS;
    for (let lo = from, hi = 0; lo <= to; lo = hi + 1) {
      hi = Math.min(to, lo + size - 1);
      const session = db.createSession({ table: table.name, db: schema });
      let piece: Uint8Array;
      try {
        stmt.run(lo, hi, op);
        piece = withRealDefaults(session.changeset(), asRead);
      } finally {
        session.close();
      }
      entry.append(piece);
      size = nextPieceRows(size, piece.byteLength);
    }
  }
  if (twin !== undefined) db.exec(`DROP TABLE temp.${t}`);
}

/**
 * The changes encoded in JavaScript from the copies and the base rows, written in pieces; then
 * the pieces are applied to the base. If one piece cannot apply alone (a UNIQUE value it takes
 * is freed by a later piece), the table's pieces are applied whole, in one call, as SQLite
 * retries such changes itself.
 */
function writeInJs(db: DatabaseSync, { table, copy, n: numbered, op: opColumn }: CollectedTable, entry: EntryFile): void {
  const header = headerOf(table);
  const sql = comparisonSql(table);
  const n = sql.cols.length;
  const names = sql.cols.map((c) => c.name);
  const on = sql.keys.map((i) => `B.${quoteIdent(names[i]!)} = A.${quoteIdent(names[i]!)}`).join(' AND ');
  const stmt = db.prepare(`SELECT A.${opColumn}, ${exactColumnList('A', names)}, ${exactColumnList('B', names)} FROM temp.${copy} AS A LEFT JOIN main.${quoteIdent(table.name)} AS B ON ${on} ORDER BY A.${numbered}`);
  stmt.setReadBigInts(true);
  stmt.setReturnArrays(true);
  const start = entry.size;
  const pieces: Array<[number, number]> = [];
  let batch: Change[] = [];
  let batchBytes = 0;
  const flush = (): void => {
    if (batch.length === 0) return;
    const bytes = writeChangeset('changeset', batch);
    pieces.push([entry.size, bytes.byteLength]);
    entry.append(bytes);
    batch = [];
    batchBytes = 0;
  };
  for (const row of stmt.iterate() as Iterable<unknown[]>) {
    const op = Number(row[0]);
    const live = op === OP.delete ? undefined : readValues(row, 1, n);
    const base = op === OP.insert ? undefined : readValues(row, 1 + 2 * n, n);
    const change: Change =
      op === OP.insert ? { table: header, op: 'INSERT', indirect: false, old: undefined, new: live }
      : op === OP.delete ? { table: header, op: 'DELETE', indirect: false, old: base, new: undefined }
      : updateOf(header, base!, live!);
    batch.push(change);
    batchBytes += approximateSize(change);
    if (batchBytes >= PIECE_BYTES) flush();
  }
  flush();
  db.exec('SAVEPOINT sqlferry_pieces');
  try {
    for (const [offset, length] of pieces) applyChecked(db, entry.read(offset, length), 'changeset');
  } catch (err) {
    if (!(err instanceof SqlferryError && err.code === 'APPLY_CONFLICT') || pieces.length === 1) throw err;
    db.exec('ROLLBACK TO sqlferry_pieces');
    applyChecked(db, entry.read(start, entry.size - start), 'changeset');
  }
  db.exec('RELEASE sqlferry_pieces');
}

function deletesIn(db: DatabaseSync, copy: string, op: string): number {
  return Number((db.prepare(`SELECT count(*) AS n FROM temp.${copy} WHERE ${op} = ${OP.delete}`).get() as { n: bigint | number }).n);
}

function lastRow(db: DatabaseSync, copy: string, n: string): number {
  return Number((db.prepare(`SELECT coalesce(max(${n}), 0) AS n FROM temp.${copy}`).get() as { n: bigint | number }).n);
}

/** `base`, or `base_`, `base__`…: the first that no column of the table is named (SQLite's names ignore ASCII case). */
function unusedName(base: string, columns: ReadonlyArray<{ name: string }>): string {
  const taken = new Set(columns.map((c) => c.name.toLowerCase()));
  let name = base;
  while (taken.has(name)) name += '_';
  return name;
}

function approximateSize(change: Change): number {
  let n = 16;
  for (const values of [change.old, change.new]) {
    for (const v of values ?? []) n += v.type === 'text' || v.type === 'blob' ? v.value.byteLength + 2 : 9;
  }
  return n;
}

/** SQLITE_CONSTRAINT and its extended codes: a UNIQUE (or CHECK…) value in the way. */
function isConstraint(err: unknown): boolean {
  const code = (err as { errcode?: unknown } | null)?.errcode;
  return typeof code === 'number' && (code & 0xff) === 19;
}
