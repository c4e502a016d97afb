// base.db is a cache of the log (genesis.db plus every entry), so `commit` may write it without
// a rollback journal: each page it changes is then written once, not to the journal first and
// to the file after. A crash in the middle leaves a half-written base.db that nothing could roll
// back, so a durable marker, base-writing.json, is written before the first page and removed
// only once base.db's COMMIT is on disk. The next command that takes the lock finds the marker
// and rebuilds base.db from the log (Replica's recovery), before anything reads it.
// Only a write that needs no rollback in normal operation goes this way: every changed table
// written by the sessions' statements, none with a UNIQUE index besides its key (a value
// handed from row to row makes that table start over another way, capture-base.ts). Anything
// that still fails leaves the marker, and the rebuild. And only a large one: a small write
// saves little (the marker costs the fsyncs the journal did), and a crash during it should
// cost a rollback, not a rebuild.
import { existsSync, renameSync, rmSync } from 'node:fs';
import type { DatabaseSync } from 'node:sqlite';
import { fsyncDir, tempPathFor, writeJsonAtomic } from '../atomic.ts';
import { applyEntries } from './base.ts';
import type { CollectedTable } from '../capture/capture-base.ts';
import { logEnd } from '../log/log-end.ts';
import type { SidecarPaths } from '../sidecar.ts';
import { snapshotInto } from './snapshot.ts';
import { openDatabase } from '../sqlite.ts';

/** Rows to write from which the journal is left out: each may touch a page of its own. */
export const UNJOURNALED_FROM_ROWS = 4096;

/** Inside the read of the live database (attached as `schema`): whether to write these tables without a journal. */
export function worthUnjournaled(db: DatabaseSync, schema: string, collected: readonly CollectedTable[]): boolean {
  return collected.reduce((n, c) => n + c.insertedUpTo, 0) >= UNJOURNALED_FROM_ROWS && needsNoRollback(db, schema, collected);
}

/** Whether writing these tables never needs a rollback. */
export function needsNoRollback(db: DatabaseSync, schema: string, collected: readonly CollectedTable[]): boolean {
  const unique = db.prepare(`SELECT count(*) AS n FROM pragma_index_list(?, ?) WHERE "unique" AND origin <> 'pk'`);
  const changes = (c: CollectedTable) => c.insertedUpTo > 0 || c.appended !== undefined || c.fromPages !== undefined;
  return collected.every((c) => !changes(c) || (c.table.rowid === undefined && Number((unique.get(c.table.name, schema) as { n: unknown }).n) === 0));
}

/**
 * Before the write transaction on base.db (open as `db`): the journal turned off (which writes
 * no page), then the marker, made durable. False, with neither, when this SQLite refuses.
 */
export function startUnjournaled(paths: SidecarPaths, db: DatabaseSync, seq: number): boolean {
  // Defensive mode (node:sqlite's default since 24.12, which added the switch) keeps the journal on.
  (db as Partial<Pick<DatabaseSync, 'enableDefensive'>>).enableDefensive?.(false);
  const { journal_mode: mode } = db.prepare('PRAGMA main.journal_mode = OFF').get() as { journal_mode: string };
  if (mode !== 'off') return false;
  writeJsonAtomic(paths.baseWriting, { seq });
  return true;
}

/** After base.db's COMMIT, which fsyncs it (synchronous = FULL): it is whole again. */
export function finishUnjournaled(paths: SidecarPaths): void {
  // Not made durable: a marker that survives a crash only costs a rebuild.
  rmSync(paths.baseWriting, { force: true });
}

/** A write of base.db that did not finish: base.db rebuilt from genesis.db and the log. Call holding the lock. */
export function rebuildBaseIfHalfWritten(paths: SidecarPaths): void {
  if (!existsSync(paths.baseWriting)) return;
  const candidate = tempPathFor(paths.base);
  const genesis = openDatabase(paths.genesis, { readOnly: true });
  try {
    snapshotInto(genesis, paths.genesis, candidate, (db) => applyEntries(db, candidate, paths, logEnd(paths)));
    // A journal beside base.db belongs to the file being replaced (a write without one leaves none).
    rmSync(`${paths.base}-journal`, { force: true });
    renameSync(candidate, paths.base);
    fsyncDir(paths.dir);
  } finally {
    genesis.close();
    rmSync(candidate, { force: true });
  }
  rmSync(paths.baseWriting);
}
