// A pull commits the live database first and updates the sidecar after. A crash between the
// two must be recoverable with certainty, so before COMMIT the pull writes `pull/pending.json`
// (with the new log entries and conflicts beside it) and records which PRAGMA schema_version
// the database will have if the COMMIT lands: inside the transaction it creates and drops a
// scratch table a random number of times (each statement moves schema_version by one).
// Afterwards schema_version equal to `after` means committed; equal to `before` means rolled
// back; anything else (another program changed the schema meanwhile) is not guessed at.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { randomBytes, randomInt } from 'node:crypto';
import { readJson, writeFileUnsynced, writeJsonAtomic } from './atomic.ts';
import type { LogEntryMeta } from './log.ts';
import type { SidecarPaths } from './sidecar.ts';
import type { NewConflict } from './conflict-store.ts';

export type PullPhase = 'prepared' | 'committed' | 'rewound' | 'logged';

export interface PendingPull {
  id: string;
  phase: PullPhase;
  schemaVersion: { before: number; after: number };
  /** The local log before: entries 1..oldHubSeq from the hub, oldHubSeq+1..oldLast local. */
  oldHubSeq: number;
  oldLast: number;
  /** The sidecar after: state and the entries to write at oldHubSeq+1… (hub entries, then the rebased local commit). */
  state: { hubId: string; hubSeq: number; hubTip: string };
  entries: LogEntryMeta[];
  conflicts: NewConflict[];
}

export function pullDir(paths: SidecarPaths): string {
  return join(paths.dir, 'pull');
}

const pendingFile = (paths: SidecarPaths) => join(pullDir(paths), 'pending.json');
/** Where the pending record keeps an entry's bytes (linked into the log by finishPull). */
export const pendingBytesFile = (paths: SidecarPaths, seq: number) => join(pullDir(paths), `${seq}.bytes`);

export function schemaVersion(db: DatabaseSync): number {
  return Number((db.prepare('PRAGMA main.schema_version').get() as { schema_version: bigint | number }).schema_version);
}

/** Inside the transaction, last thing before COMMIT: move schema_version by a random, recorded amount. */
export function markTransaction(db: DatabaseSync): number {
  const scratch = `sqlferry_pull_${randomBytes(6).toString('hex')}`;
  for (let i = randomInt(16, 48); i > 0; i--) db.exec(`CREATE TABLE main.${scratch}(x); DROP TABLE main.${scratch};`);
  return schemaVersion(db);
}

/**
 * Entry bytes first, pending.json last: its existence means "a pull may have committed". The
 * bytes files' contents are fsynced one by one, their names by the one folder fsync that
 * makes pending.json durable (same folder, after them): without pending.json the folder is
 * discarded whole, so a bytes file whose name was lost cannot matter.
 */
export function writePending(paths: SidecarPaths, pending: PendingPull, bytes: Map<number, Uint8Array>): void {
  rmSync(pullDir(paths), { recursive: true, force: true });
  mkdirSync(pullDir(paths), { recursive: true });
  for (const [seq, b] of bytes) writeFileUnsynced(pendingBytesFile(paths, seq), b);
  writeJsonAtomic(pendingFile(paths), pending);
}

export function readPending(paths: SidecarPaths): PendingPull | null {
  return existsSync(pendingFile(paths)) ? readJson<PendingPull>(pendingFile(paths)) : null;
}

export function updatePhase(paths: SidecarPaths, pending: PendingPull, phase: PullPhase): void {
  pending.phase = phase;
  writeJsonAtomic(pendingFile(paths), pending);
}

export function clearPending(paths: SidecarPaths): void {
  rmSync(pullDir(paths), { recursive: true, force: true });
}
