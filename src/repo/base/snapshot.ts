// Snapshots of a database (genesis.db, base.db, checkout output): made by SQLite itself
// (VACUUM INTO reads one consistent state), never by copying a database someone may be writing
// (init's first base.db is genesis.db's bytes: a file only init has touched), and recorded with
// the log sequence they reflect in a one-row table `sqlferry_base`.
import type { DatabaseSync } from 'node:sqlite';
import { existsSync, renameSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { SqlferryError, EXIT } from '../../errors/index.ts';
import { fsyncDir, tempPathFor } from '../atomic.ts';
import { BASE_SEQ_TABLE } from '../schema/schema-read.ts';
import { openDatabase, withSqliteErrors } from '../sqlite.ts';

/** VACUUM INTO a temp file beside `target`, let `prepare` adjust it, then rename it into place. */
export function snapshotInto(source: DatabaseSync, sourcePath: string, target: string, prepare: (db: DatabaseSync) => void): void {
  const tmp = tempPathFor(target);
  try {
    try {
      withSqliteErrors(sourcePath, () => source.prepare('VACUUM main INTO ?').run(tmp));
    } catch (err) {
      // The source is open already: SQLITE_CANTOPEN here is about the file being written.
      const code = (err as { cause?: { errcode?: number } }).cause?.errcode ?? (err as { errcode?: number }).errcode;
      if (typeof code === 'number' && (code & 0xff) === 14) {
        throw new SqlferryError('CANNOT_WRITE', `cannot write ${target}: ${existsSync(dirname(target)) ? 'the folder is not writable' : `the folder ${dirname(target)} does not exist`}`, {
          data: { path: target },
          hint: 'choose a file in a folder that exists and that you can write to',
          cause: err,
        });
      }
      throw err;
    }
    const db = openDatabase(tmp, { foreignKeys: false });
    try {
      db.exec('PRAGMA journal_mode = DELETE');
      db.exec('PRAGMA synchronous = FULL');
      prepare(db);
    } finally {
      db.close();
    }
    renameSync(tmp, target);
    fsyncDir(dirname(target));
  } finally {
    if (existsSync(tmp)) unlinkSync(tmp);
  }
}

export function markSeq(db: DatabaseSync, seq: number): void {
  db.exec(`CREATE TABLE IF NOT EXISTS ${BASE_SEQ_TABLE}(seq INTEGER NOT NULL)`);
  db.exec(`DELETE FROM ${BASE_SEQ_TABLE}`);
  db.prepare(`INSERT INTO ${BASE_SEQ_TABLE}(seq) VALUES (?)`).run(seq);
}

export function readSeq(db: DatabaseSync, path: string, schema = 'main'): number {
  try {
    const row = db.prepare(`SELECT seq FROM "${schema}".${BASE_SEQ_TABLE}`).get() as { seq: bigint } | undefined;
    if (row !== undefined) return Number(row.seq);
  } catch {
    // fall through: the table is missing
  }
  throw new SqlferryError('SNAPSHOT_CORRUPT', `${path} does not record which commit it reflects`, {
    data: { path },
    exitCode: EXIT.corrupt,
    hint: 'the sidecar snapshot was damaged; restore the sidecar folder from a backup',
  });
}

export function dropSeqTable(db: DatabaseSync): void {
  db.exec(`DROP TABLE IF EXISTS ${BASE_SEQ_TABLE}`);
}
