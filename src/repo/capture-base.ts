// `commit`'s capture, written by SQLite into the base as it goes: on one connection, base.db
// as `main` and the live database attached as `live`, inside one transaction. Per table with
// a PRIMARY KEY, the keys of the rows that differ are collected first (the two joins of
// captureTable, in SQL only), then the base is made equal to the live rows — deletes, then
// updates, then inserts, a key range at a time — each range under its own session, whose
// changeset (SQLite's own bytes) is appended to the entry. So the base moves in the same pass
// that captures, and memory holds one range's changeset, never the whole entry.
// Sessions cannot record tables tracked by rowid in node:sqlite: those are captured in
// JavaScript (captureTable), and so is a table whose ranges collide on a UNIQUE value (a value
// handed from one row to another in an order SQL cannot replay: SQLite's apply retries those).
import type { DatabaseSync } from 'node:sqlite';
import type { Change } from '../changeset/types.ts';
import { writeChangeset } from '../changeset/index.ts';
import { quoteIdent } from '../changeset/value.ts';
import { SqlferryError } from '../errors/index.ts';
import { applyChecked, noteApplied } from './apply.ts';
import { captureTable, comparisonSql, type Sides } from './capture.ts';
import type { EntryFile } from './entry-file.ts';
import type { TableInfo } from './schema-read.ts';

/** base.db is `main`, the live database `live`. */
export const BASE_MAIN: Sides = { live: 'live', base: 'main' };

const KEYS = 'sqlferry_capture_keys';
/** A range's changeset aims at about this size: memory stays bounded whatever the row width. */
const PIECE_BYTES = 2 ** 20;
const OP = { delete: 0, update: 1, insert: 2 } as const;

/** Capture one tracked table into `entry` and bring the base's copy of it up to the live one. */
export function captureTableIntoBase(db: DatabaseSync, table: TableInfo, entry: EntryFile): void {
  db.exec('SAVEPOINT sqlferry_table');
  const mark = entry.mark();
  try {
    if (table.rowid !== undefined) captureInJs(db, table, entry);
    else {
      try {
        captureWithSessions(db, table, entry);
      } catch (err) {
        if (!isConstraint(err)) throw err;
        db.exec('ROLLBACK TO sqlferry_table');
        entry.rewind(mark);
        captureInJs(db, table, entry);
      }
    }
    db.exec('RELEASE sqlferry_table');
  } catch (err) {
    db.exec('ROLLBACK TO sqlferry_table');
    db.exec('RELEASE sqlferry_table');
    throw err;
  }
}

function captureWithSessions(db: DatabaseSync, table: TableInfo, entry: EntryFile): void {
  const sql = comparisonSql(table);
  const t = quoteIdent(table.name);
  const keyCols = sql.keys.map((_, j) => `k${j}`);
  const onKey = (alias: string): string => sql.keys.map((i, j) => `${alias}.${quoteIdent(sql.cols[i]!.name)} = K.k${j}`).join(' AND ');
  db.exec(`DROP TABLE IF EXISTS temp.${KEYS}; CREATE TEMP TABLE ${KEYS}(op INTEGER, ${keyCols.join(', ')})`);
  try {
    db.exec(`INSERT INTO temp.${KEYS} SELECT CASE WHEN ${sql.liveMissing} THEN ${OP.delete} ELSE ${OP.update} END, ${sql.keys.map((i) => sql.b(i)).join(', ')}
      FROM main.${t} AS B LEFT JOIN live.${t} AS A ON ${sql.sameKey} WHERE ${sql.baseKeyNotNull} AND (${sql.goneOrDiffers})`);
    const changedUpTo = lastKeyRow(db);
    db.exec(`INSERT INTO temp.${KEYS} SELECT ${OP.insert}, ${sql.keys.map((i) => sql.a(i)).join(', ')}
      FROM live.${t} AS A LEFT JOIN main.${t} AS B ON ${sql.sameKey} WHERE ${sql.liveKeyNotNull} AND ${sql.baseMissing}`);
    const insertedUpTo = lastKeyRow(db);
    if (insertedUpTo === 0) return;
    noteApplied(db, table.name);
    const cols = sql.cols.map((c) => quoteIdent(c.name));
    const inRange = `K.rowid BETWEEN ? AND ? AND K.op = ?`;
    const keysOf = `SELECT ${keyCols.join(', ')} FROM temp.${KEYS} AS K WHERE ${inRange}`;
    const keyTuple = `(${sql.keys.map((i) => quoteIdent(sql.cols[i]!.name)).join(', ')})`;
    // A column keeps its base value unless it differs as the capture compares (a REAL -0.0
    // against 0.0 does not), so the base holds exactly what the changesets say.
    const set = sql.cols
      .map((c, i) => (sql.differs[i] === '' ? undefined : `${cols[i]} = CASE WHEN ${sql.differs[i]} THEN ${sql.a(i)} ELSE ${sql.b(i)} END`))
      .filter((s) => s !== undefined);
    const sweeps: Array<[number, number, number, string]> = [
      [1, changedUpTo, OP.delete, `DELETE FROM main.${t} WHERE ${keyTuple} IN (${keysOf})`],
      [1, changedUpTo, OP.update, `UPDATE main.${t} AS B SET ${set.join(', ')} FROM temp.${KEYS} AS K CROSS JOIN live.${t} AS A WHERE ${inRange} AND ${onKey('A')} AND ${onKey('B')}`],
      [changedUpTo + 1, insertedUpTo, OP.insert, `INSERT INTO main.${t}(${cols.join(', ')}) SELECT ${cols.map((c) => `A.${c}`).join(', ')} FROM temp.${KEYS} AS K CROSS JOIN live.${t} AS A WHERE ${inRange} AND ${onKey('A')}`],
    ];
    for (const [from, to, op, dml] of sweeps) {
      if (op === OP.update && set.length === 0) continue;
      const stmt = db.prepare(dml);
      let size = 8192;
      for (let lo = from, hi = 0; lo <= to; lo = hi + 1) {
        hi = Math.min(to, lo + size - 1);
        const session = db.createSession({ table: table.name });
        let piece: Uint8Array;
        try {
          stmt.run(lo, hi, op);
          piece = session.changeset();
        } finally {
          session.close();
        }
        entry.append(piece);
        if (piece.byteLength > 0) size = Math.max(256, Math.min(262_144, Math.round((size * PIECE_BYTES) / piece.byteLength)));
      }
    }
  } finally {
    db.exec(`DROP TABLE IF EXISTS temp.${KEYS}`);
  }
}

function lastKeyRow(db: DatabaseSync): number {
  return Number((db.prepare(`SELECT coalesce(max(rowid), 0) AS n FROM temp.${KEYS}`).get() as { n: bigint | number }).n);
}

/**
 * The capture in JavaScript (captureTable), written in pieces; then the pieces are applied to
 * the base. If one piece cannot apply alone (a UNIQUE value it takes is freed by a later piece),
 * the table's pieces are applied whole, in one call, as SQLite retries such changes itself.
 */
function captureInJs(db: DatabaseSync, table: TableInfo, entry: EntryFile): void {
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
  for (const change of captureTable(db, { live: table, created: false }, BASE_MAIN)) {
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
