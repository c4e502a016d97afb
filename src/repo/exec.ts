// `exec`: run SQL on the live database through a session and commit exactly what it changed.
// The base advances by applying that changeset, never by diffing: the cost follows the
// change, not the database (commit-live.ts, which also gives the crash-safe order).
import { SqlferryError } from '../errors/index.ts';
import { openBase } from './base.ts';
import { commitLiveChanges } from './commit-live.ts';
import type { LogEntryMeta } from './log.ts';
import type { Replica } from './replica.ts';
import { beginImmediate, openDatabase, rollbackQuietly, schemaVersion, translateSqliteError } from './sqlite.ts';

export function execSql(replica: Replica, sql: string, message?: string): LogEntryMeta | null {
  return replica.withLock(() => {
    const paths = replica.paths;
    const live = openDatabase(paths.db);
    const base = openBase(paths);
    try {
      beginImmediate(live, paths.db);
      try {
        const schemaBefore = schemaVersion(live);
        const session = live.createSession();
        runUserSql(live, paths.db, sql);
        const bytes = session.changeset();
        session.close();
        if (schemaVersion(live) !== schemaBefore) {
          throw new SqlferryError('EXEC_SCHEMA_CHANGE', 'exec records row changes only, and this SQL changes the schema; nothing was changed', {
            hint: 'run schema changes with any SQLite tool, then sqlferry commit',
          });
        }
        if (bytes.byteLength === 0) {
          live.exec('ROLLBACK');
          return null;
        }
        return commitLiveChanges(replica, live, base, bytes, message ?? `exec: ${sql}`, 'the SQL');
      } finally {
        rollbackQuietly(live);
      }
    } finally {
      base.close();
      live.close();
    }
  });
}

function runUserSql(live: ReturnType<typeof openDatabase>, path: string, sql: string): void {
  try {
    live.exec(sql);
  } catch (err) {
    const translated = translateSqliteError(err, path);
    if (translated !== err) throw translated;
    throw new SqlferryError('EXEC_FAILED', `the SQL failed: ${(err as Error).message}; nothing was changed`, { cause: err });
  }
}
