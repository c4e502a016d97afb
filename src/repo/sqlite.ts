// How sqlferry opens SQLite files: bounded busy wait, exact integers, and one clear
// message when another program holds the lock longer than the wait.
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { SqlferryError, EXIT } from '../errors/index.ts';
import { quoteIdent } from '../changeset/value.ts';

/** How long a command waits for another program's lock (ms); SQLFERRY_BUSY_TIMEOUT_MS overrides. */
export function busyTimeoutMs(): number {
  const env = Number(process.env.SQLFERRY_BUSY_TIMEOUT_MS);
  return Number.isFinite(env) && env >= 0 ? env : 5000;
}

export interface OpenOptions {
  readOnly?: boolean;
  /** node:sqlite turns foreign keys on by default; sqlferry's apply needs them off. */
  foreignKeys?: boolean;
}

export function openDatabase(path: string, opts: OpenOptions = {}): DatabaseSync {
  try {
    return new DatabaseSync(path, {
      readOnly: opts.readOnly ?? false,
      timeout: busyTimeoutMs(),
      readBigInts: true,
      enableForeignKeyConstraints: opts.foreignKeys ?? true,
    });
  } catch (err) {
    throw translateSqliteError(err, path);
  }
}

interface NodeSqliteError {
  errcode?: number;
  message?: string;
}

export function isBusy(err: unknown): boolean {
  const code = (err as NodeSqliteError | null)?.errcode;
  // SQLITE_BUSY, SQLITE_LOCKED and their extended codes.
  return typeof code === 'number' && ((code & 0xff) === 5 || (code & 0xff) === 6);
}

export function lockedError(path: string, cause?: unknown): SqlferryError {
  return new SqlferryError('DATABASE_LOCKED', `${path} is locked by another program (waited ${busyTimeoutMs()} ms)`, {
    data: { path },
    exitCode: EXIT.locked,
    hint: 'let the other program finish its transaction, then run the command again',
    cause,
  });
}

/** A SQLite failure the user can act on becomes a SqlferryError; anything else stays as it is. */
export function translateSqliteError(err: unknown, path: string): unknown {
  if (err instanceof SqlferryError) return err;
  if (isBusy(err)) return lockedError(path, err);
  const code = (err as NodeSqliteError | null)?.errcode;
  if (code === 26) {
    return new SqlferryError('NOT_A_DATABASE', `${path} is not a SQLite database`, {
      data: { path },
      hint: 'point --db at a SQLite database file',
      cause: err,
    });
  }
  if (code !== undefined && (code & 0xff) === 14) {
    return new SqlferryError('CANNOT_OPEN', `cannot open ${path}`, { data: { path }, cause: err });
  }
  return err;
}

/** True for SQLITE_NOTADB and SQLITE_CORRUPT: the file is not (or no longer) a sound database. */
export function isDamaged(err: unknown): boolean {
  const code = (err as NodeSqliteError | null)?.errcode;
  return typeof code === 'number' && ((code & 0xff) === 26 || (code & 0xff) === 11);
}

/** A snapshot in the sidecar folder (base.db, genesis.db) that SQLite cannot read. */
export function damagedSnapshotError(path: string, cause: unknown): SqlferryError {
  return new SqlferryError('SNAPSHOT_CORRUPT', `${path} is damaged: ${(cause as Error).message}`, {
    data: { path },
    exitCode: EXIT.corrupt,
    hint: 'the sidecar snapshot was damaged; restore the sidecar folder from a backup',
    cause,
  });
}

/** Run `fn` on a sidecar snapshot: busy becomes DATABASE_LOCKED, an unreadable file SNAPSHOT_CORRUPT. */
export function withSnapshotErrors<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof SqlferryError) throw err;
    if (isDamaged(err)) throw damagedSnapshotError(path, err);
    throw translateSqliteError(err, path);
  }
}

/** Run `fn` and translate SQLite's busy/not-a-database errors into sentences about `path`. */
export function withSqliteErrors<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw translateSqliteError(err, path);
  }
}

const statements = new WeakMap<DatabaseSync, Map<string, StatementSync>>();

/**
 * A statement prepared once per connection, for the queries run between the changesets of one
 * transaction. Every statement alive on a connection (node:sqlite has no finalize: until it is
 * garbage-collected) makes each later applyChangeset on it slower: 100 of them cost ≈ 7 ms over
 * 100,000 changes (bench/live-statements.ts), and the pull's two checks, prepared afresh per
 * entry, cost it ≈ 4 ms.
 */
export function preparedOnce(db: DatabaseSync, sql: string): StatementSync {
  let cache = statements.get(db);
  if (!cache) statements.set(db, (cache = new Map()));
  let stmt = cache.get(sql);
  if (!stmt) cache.set(sql, (stmt = db.prepare(sql)));
  return stmt;
}

export function beginImmediate(db: DatabaseSync, path: string): void {
  withSqliteErrors(path, () => db.exec('BEGIN IMMEDIATE'));
}

export function rollbackQuietly(db: DatabaseSync): void {
  if (db.isTransaction) db.exec('ROLLBACK');
}

export function attach(db: DatabaseSync, path: string, schema: string): void {
  db.prepare(`ATTACH DATABASE ? AS ${quoteIdent(schema)}`).run(path);
}

export function schemaVersion(db: DatabaseSync): number {
  return Number((db.prepare('PRAGMA main.schema_version').get() as { schema_version: bigint | number }).schema_version);
}

/** Moves whenever another connection commits to the database (never for this connection's own commits). */
export function dataVersion(db: DatabaseSync): number {
  return Number((db.prepare('PRAGMA data_version').get() as { data_version: bigint | number }).data_version);
}

/** The main database's size in bytes, as SQLite counts its pages. */
export function databaseBytes(db: DatabaseSync): number {
  return Number((db.prepare('SELECT page_count * page_size AS n FROM pragma_page_count(), pragma_page_size()').get() as { n: bigint | number }).n);
}
