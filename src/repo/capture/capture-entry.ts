// The next log entry, captured straight into its file while base.db moves to it
// (capture-base.ts): one read of the live database attached to base.db copies what differs
// into TEMP tables, then one write transaction on base.db takes it, its sessions writing the
// entry. The order keeps a crash harmless: the entry's bytes, then its metadata (the commit
// point), then the base's COMMIT. A crash before the metadata leaves no entry and the base as it was (SQLite rolls the
// transaction back); a crash after it leaves the base one entry behind the log, which the next
// reader rolls forward (base.ts). Rows proven appended may instead be written into the entry
// and base.db during the read (capture-appended.ts): base.db then goes without its journal,
// behind the marker that has a crash at any point rebuild it (base-unjournaled.ts).
import { abandonSuspension, applySchema, suspendTriggers } from '../apply/apply.ts';
import { finishUnjournaled, startUnjournaled, worthUnjournaled } from '../base/base-unjournaled.ts';
import { appendedFromPages, type AppendedFromPages } from './capture-appended.ts';
import { BASE_MAIN, collectTable, writeTable, type CollectedTable } from './capture-base.ts';
import { EntryFile } from './entry-file.ts';
import { diffSchema } from '../schema/schema-diff.ts';
import { readSchema, trackedTables } from '../schema/schema-read.ts';
import { entryPaths, type SidecarPaths } from '../sidecar.ts';
import { markSeq } from '../base/snapshot.ts';
import { compareEverything, type Compared, type PageScope } from '../pages/page-scope.ts';
import type { PageMap } from '../pages/page-map.ts';
import type { Stamp } from '../pages/fingerprint.ts';
import type { TableDigests } from '../../changeset/digest.ts';
import type { DatabaseSync } from 'node:sqlite';
import { startWriteBack } from '../pages/held-descriptor.ts';
import { attach, openDatabase, rollbackQuietly, withSnapshotErrors, withSqliteErrors } from '../sqlite.ts';

/** What a capture wrote (or null when nothing changed), the page map of what it read, and which tables it compared. */
export interface Capture<T> {
  entry: T | null;
  pages: PageMap | null;
  compared: Compared;
  /** How new rows were captured where they could not be read from the pages (capture-appended.ts), for -v. */
  notes: string[];
}

export interface CapturedEntry {
  sha256: string;
  size: number;
  schema: string[];
  /** The change of content digest its bytes make (EntryFile.digestChange); undefined for a large entry. */
  digestChange: TableDigests | undefined;
}

/**
 * Capture what changed since base.db (caught up to log entry seq - 1) into entry `seq`, and
 * advance base.db to it. `publish` writes the entry's metadata, the commit point; its result is
 * returned; null when nothing changed (then nothing is written). `scope`, called inside the
 * read of the live file (attached as BASE_MAIN.live), names the tables to compare (the others
 * are known unchanged: page-scope.ts); all when absent. `before`: the live files' stamp taken
 * past a clock tick before the read (takeStampPastTick), without which a WAL's pages are not
 * read (capture-appended.ts). Call holding the replica lock.
 */
export function captureEntry<T>(paths: SidecarPaths, seq: number, publish: (captured: CapturedEntry) => T, scope?: (db: DatabaseSync, schema: string) => PageScope, before?: Stamp): Capture<T> {
  const db = withSnapshotErrors(paths.base, () => openDatabase(paths.base, { foreignKeys: false }));
  try {
    return withSqliteErrors(paths.db, () => {
      // The copies of step 1 go to a temp file, in pages four times SQLite's default: a bulk
      // load's 3,000,000 rows are written there and read back in a quarter of the system calls.
      // Step 1 may write base.db (appended rows, capture-appended.ts): its fsync waits for step 2's COMMIT.
      db.exec('PRAGMA main.synchronous = OFF; PRAGMA temp_store = FILE; PRAGMA temp.page_size = 16384');
      attach(db, paths.db, BASE_MAIN.live);
      // Step 1: what differs, copied into TEMP tables in one read of both files, then let go of the live file.
      db.exec('BEGIN');
      let schema: ReturnType<typeof diffSchema>;
      let scoped: PageScope;
      let pages: PageMap | null;
      let unjournaled: boolean;
      let fromPages: AppendedFromPages | undefined;
      const collected: CollectedTable[] = [];
      try {
        const live = readSchema(db, BASE_MAIN.live); // the first read of the live file: its snapshot starts here
        scoped = scope?.(db, BASE_MAIN.live) ?? compareEverything('no page map is kept here');
        const compare = scoped.compared.tables;
        schema = diffSchema(readSchema(db, 'main'), live);
        trackedTables(live).forEach((table, i) => {
          if (compare !== 'all' && !compare.has(table.name)) return;
          collected.push(collectTable(db, table, i, schema.createdTables.has(table.name), schema.addedDefaults.get(table.name), scoped.compared.ranges?.get(table.name)));
        });
        fromPages = appendedFromPages(db, paths, seq, before, collected, schema.statements.length > 0);
        pages = scoped.pageMap(); // inside this read: the pages it describes are the ones compared
        unjournaled = fromPages.unjournaled || worthUnjournaled(db, BASE_MAIN.live, collected);
        db.exec('COMMIT');
      } catch (err) {
        rollbackQuietly(db);
        abandonSuspension(db); // the appended rows' INSERT may have failed with triggers suspended
        fromPages?.entry?.discard();
        for (const c of collected) c.fromPages?.side?.discard();
        throw err;
      }
      db.exec(`DETACH ${BASE_MAIN.live}; PRAGMA main.synchronous = FULL`);
      const notes = fromPages.notes;
      if (collected.every((c) => c.insertedUpTo === 0 && !c.fromPages?.rows) && schema.statements.length === 0) return { entry: null, pages, compared: scoped.compared, notes };
      // Step 2: base.db takes them, each range under a session whose changeset goes to the entry.
      const entry = fromPages.entry ?? new EntryFile(entryPaths(paths, seq).bytes);
      try {
        if (!fromPages.unjournaled) unjournaled &&= startUnjournaled(paths, db, seq);
        db.exec('BEGIN IMMEDIATE');
        applySchema(db, schema.statements, `commit ${seq}`);
        const restoreTriggers = suspendTriggers(db);
        for (const table of collected) writeTable(db, table, entry);
        // Written without a journal, base.db's pages are in the file already (the cache spilled
        // them): the disk writes them back while the entry is finished and published, and the
        // fsync of the COMMIT finds them written.
        if (unjournaled) startWriteBack(paths.base);
        restoreTriggers();
        markSeq(db, seq);
        // The disk writes the entry back while its change of digest is counted: publish's fsync then finds it written.
        entry.startWriteBack();
        const captured = { sha256: entry.sha256(), size: entry.size, schema: schema.statements, digestChange: entry.digestChange() };
        entry.publish();
        const published = publish(captured);
        db.exec('COMMIT');
        if (unjournaled) finishUnjournaled(paths);
        return { entry: published, pages, compared: scoped.compared, notes };
      } catch (err) {
        rollbackQuietly(db); // without a journal, base-writing.json stays: the next command rebuilds base.db
        abandonSuspension(db);
        entry.discard();
        for (const c of collected) c.fromPages?.side?.discard();
        throw err;
      }
    });
  } finally {
    db.close();
  }
}
