// The next log entry, captured straight into its file while base.db moves to it, in one
// transaction on base.db with the live database attached (capture-base.ts). The order keeps
// a crash harmless: the entry's bytes, then its metadata (the commit point), then the base's
// COMMIT. A crash before the metadata leaves no entry and the base as it was (SQLite rolls the
// transaction back); a crash after it leaves the base one entry behind the log, which the next
// reader rolls forward (base.ts).
import { abandonSuspension, applySchema, suspendTriggers } from './apply.ts';
import { BASE_MAIN, captureTableIntoBase } from './capture-base.ts';
import { EntryFile } from './entry-file.ts';
import { diffSchema } from './schema-diff.ts';
import { readSchema, trackedTables } from './schema-read.ts';
import { entryPaths, type SidecarPaths } from './sidecar.ts';
import { markSeq } from './snapshot.ts';
import { attach, openDatabase, rollbackQuietly, withSnapshotErrors, withSqliteErrors } from './sqlite.ts';

export interface CapturedEntry {
  sha256: string;
  size: number;
  schema: string[];
}

/**
 * Capture what changed since base.db (caught up to log entry seq - 1) into entry `seq`, and
 * advance base.db to it. `publish` writes the entry's metadata, the commit point; its result is
 * returned. Null when nothing changed (then nothing is written). `compare` names the tables to compare (by live
 * name; the others are known unchanged), all when absent. Call holding the replica lock.
 */
export function captureEntry<T>(paths: SidecarPaths, seq: number, publish: (captured: CapturedEntry) => T, compare?: ReadonlySet<string>): T | null {
  const db = withSnapshotErrors(paths.base, () => openDatabase(paths.base, { foreignKeys: false }));
  try {
    return withSqliteErrors(paths.db, () => {
      db.exec('PRAGMA synchronous = FULL; PRAGMA temp_store = FILE');
      attach(db, paths.db, BASE_MAIN.live);
      const entry = new EntryFile(entryPaths(paths, seq).bytes);
      try {
        db.exec('BEGIN');
        const live = readSchema(db, BASE_MAIN.live); // the first read of the live file: its snapshot starts here
        const schema = diffSchema(readSchema(db, 'main'), live);
        applySchema(db, schema.statements, `commit ${seq}`);
        const restoreTriggers = suspendTriggers(db);
        for (const table of trackedTables(live)) if (compare === undefined || compare.has(table.name)) captureTableIntoBase(db, table, entry);
        restoreTriggers();
        if (entry.size === 0 && schema.statements.length === 0) {
          db.exec('ROLLBACK');
          entry.discard();
          return null;
        }
        markSeq(db, seq);
        const captured = { sha256: entry.sha256(), size: entry.size, schema: schema.statements };
        entry.publish();
        const published = publish(captured);
        db.exec('COMMIT');
        return published;
      } catch (err) {
        rollbackQuietly(db);
        abandonSuspension(db);
        entry.discard();
        throw err;
      }
    });
  } finally {
    db.close();
  }
}
