// `exec`: run SQL on the live database, recording what it changed, and commit exactly that.
// The base advances by applying that changeset, never by diffing: the cost follows the
// change, not the database (commit-live.ts, which also gives the crash-safe order).
// What the SQL did is always kept: changes no recording can hold (a virtual table sqlferry
// does not track, a full-text or R*Tree table, which the next commit captures) are named in
// the result, never rolled back.
import { constants, type DatabaseSync } from 'node:sqlite';
import { SqlferryError } from '../../errors/index.ts';
import { openBase } from '../base/base.ts';
import { commitLiveChanges } from './commit-live.ts';
import type { LogEntryMeta } from '../log/log.ts';
import { ChangeRecorder } from './recorder.ts';
import type { Replica } from '../replica.ts';
import { readSchema } from '../schema/schema-read.ts';
import { beginImmediate, openDatabase, rollbackQuietly, schemaVersion, translateSqliteError, withSqliteErrors } from '../sqlite.ts';

export interface NotCaptured {
  table: string;
  reason: string;
}

export interface ExecResult {
  /** The new log entry, or null when the SQL changed no row sqlferry records. */
  entry: LogEntryMeta | null;
  /** Tables the SQL wrote whose changes this entry does not hold, and why; they stay in the database. */
  notCaptured: NotCaptured[];
}

export function execSql(replica: Replica, sql: string, message?: string): ExecResult {
  return replica.withLock(() => {
    const paths = replica.paths;
    const live = openDatabase(paths.db);
    const base = openBase(paths);
    try {
      beginImmediate(live, paths.db);
      try {
        const schemaBefore = schemaVersion(live);
        const recorder = new ChangeRecorder(live);
        let written: Set<string>;
        try {
          written = runUserSql(live, paths.db, sql);
        } catch (err) {
          recorder.close();
          throw err;
        }
        const bytes = recorder.changeset();
        const notCaptured = uncaptured(live, written, recorder);
        recorder.close();
        if (schemaVersion(live) !== schemaBefore) {
          throw new SqlferryError('EXEC_SCHEMA_CHANGE', 'exec records row changes only, and this SQL changes the schema; nothing was changed', {
            hint: 'run schema changes with any SQLite tool, then sqlferry commit',
          });
        }
        if (bytes.byteLength === 0) {
          // Nothing to record, but whatever the SQL did stays: commit it, never roll it back.
          withSqliteErrors(paths.db, () => live.exec('COMMIT'));
          return { entry: null, notCaptured };
        }
        return { entry: commitLiveChanges(replica, live, base, bytes, message ?? `exec: ${sql}`, 'the SQL'), notCaptured };
      } finally {
        rollbackQuietly(live);
      }
    } finally {
      base.close();
      live.close();
    }
  });
}

const WRITES = new Set([constants.SQLITE_INSERT, constants.SQLITE_UPDATE, constants.SQLITE_DELETE]);

/** Run the SQL, returning the (lower-cased) names of the main tables its statements write, triggers included. */
function runUserSql(live: DatabaseSync, path: string, sql: string): Set<string> {
  const written = new Set<string>();
  live.setAuthorizer((action, table, _arg2, dbName) => {
    if (WRITES.has(action) && dbName === 'main' && table !== null) written.add(table.toLowerCase());
    return constants.SQLITE_OK;
  });
  try {
    live.exec(sql);
    return written;
  } catch (err) {
    const translated = translateSqliteError(err, path);
    if (translated !== err) throw translated;
    throw new SqlferryError('EXEC_FAILED', `the SQL failed: ${(err as Error).message}; nothing was changed`, { cause: err });
  } finally {
    live.setAuthorizer(null);
  }
}

function uncaptured(live: DatabaseSync, written: Set<string>, recorder: ChangeRecorder): NotCaptured[] {
  const out: NotCaptured[] = [];
  for (const table of readSchema(live).tables.values()) {
    if (!written.has(table.name.toLowerCase())) continue;
    if (recorder.unfollowed.some((t) => t.name === table.name)) {
      out.push({ table: table.name, reason: 'a session cannot record a full-text or R*Tree table; the next sqlferry commit captures its changes' });
    } else if (table.untracked !== undefined) out.push({ table: table.name, reason: table.untracked });
  }
  return out;
}
