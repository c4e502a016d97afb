// A pull commits the live database first and updates the sidecar after. A crash between the
// two must be recoverable with certainty, so before COMMIT the pull writes `pull/pending.json`
// (with the new log entries and conflicts beside it) and records which PRAGMA schema_version
// the database will have if the COMMIT lands: inside the transaction it creates and drops a
// scratch view a random number of times (each statement moves schema_version by one; a view,
// unlike a table, allocates no page).
// Afterwards schema_version equal to `after` means committed; equal to `before` means rolled
// back; anything else (another program changed the schema meanwhile) is not guessed at.
import { closeSync, constants, existsSync, fsync, mkdirSync, openSync, rmSync, write } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { randomBytes, randomInt } from 'node:crypto';
import { fileChecksum } from '../../shared/pieces.ts';
import { fsyncPaths, readJson, writeFileUnsynced, writeJsonAtomic } from '../atomic.ts';
import type { LogEntryMeta } from '../log/log.ts';
import type { SidecarPaths } from '../sidecar.ts';
import { schemaVersion } from '../sqlite.ts';
import type { NewConflict } from '../conflicts/conflict-store.ts';

/**
 * prepared: written before COMMIT; rewound: committed, base.db at oldHubSeq; forwarding:
 * committed, base.db at oldLast or moved forward to the new log's end (recover-pull.ts,
 * moveBaseForward). A pull whose log and state are written is recognised by them, not by a phase.
 */
export type PullPhase = 'prepared' | 'forwarding' | 'rewound';

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
  /** With phase forwarding: base.db's schema_version at oldLast, which its move forward changes. */
  baseSchemaVersion?: number;
}

const writeAsync = promisify(write);
const fsyncAsync = promisify(fsync);

export function pullDir(paths: SidecarPaths): string {
  return join(paths.dir, 'pull');
}

const pendingFile = (paths: SidecarPaths) => join(pullDir(paths), 'pending.json');
/** Where the pending record keeps an entry's bytes (linked into the log after COMMIT). */
export const pendingBytesFile = (paths: SidecarPaths, seq: number) => join(pullDir(paths), `${seq}.bytes`);

/** Inside a transaction, last thing before COMMIT: move schema_version by a random, recorded amount. */
export function markTransaction(db: DatabaseSync): number {
  const scratch = `sqlferry_pull_${randomBytes(6).toString('hex')}`;
  for (let i = randomInt(16, 48); i > 0; i--) db.exec(`CREATE VIEW main.${scratch} AS SELECT 1; DROP VIEW main.${scratch};`);
  return schemaVersion(db);
}

/** An empty pull/ before the fetch: large entries are written there as they arrive (fetch.ts), the others by stageHubEntries. */
export function openPullDir(paths: SidecarPaths): void {
  rmSync(pullDir(paths), { recursive: true, force: true });
  mkdirSync(pullDir(paths));
}

/**
 * As a pull's batches arrive, before its live transaction: the hub entries' bytes, written on
 * the thread pool while the main thread fetches and applies. O_DSYNC makes each write return
 * only once its data is on disk, so they are durable by the time the pull awaits them, without
 * a request the main thread would have to issue after the write (it may be busy applying);
 * after COMMIT they are hard-linked into the log. The caller awaits this before writePending:
 * pending.json never names a half-written file. The bytes are checked by sha256 all the same
 * before they enter the log (recover-pull.ts): the hub keeps them, so a damaged one is fetched
 * again (fetch.ts, restoreLostEntries) rather than trusted.
 */
export async function stageHubEntries(paths: SidecarPaths, entries: ReadonlyArray<{ seq: number; bytes: Uint8Array }>): Promise<void> {
  // The main thread may be applying without a pause by then, so every request is issued here as
  // one step that needs nothing from it to finish. Files are created first, synchronously (creating
  // one waits while the filesystem's journal commits for an O_DSYNC write).
  const files = entries.map((e) => ({ path: pendingBytesFile(paths, e.seq), bytes: e.bytes }));
  const fds: number[] = [];
  try {
    for (const f of files) fds.push(openSync(f.path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_DSYNC));
    fds.push(openSync(paths.dir, 'r'));
  } catch (err) {
    for (const fd of fds) closeSync(fd);
    throw err;
  }
  const dirFd = fds.at(-1)!;
  await Promise.all([
    ...files.map(async (f, i) => {
      try {
        for (let off = 0; off < f.bytes.byteLength;) off += (await writeAsync(fds[i]!, f.bytes, off)).bytesWritten;
      } finally {
        closeSync(fds[i]!);
      }
    }),
    fsyncAsync(dirFd).finally(() => closeSync(dirFd)), // the folder pull/ itself
  ]);
}

/**
 * The last write before COMMIT; pending.json's existence means "a pull may have committed".
 * What exists nowhere else is made durable first: the rebased local commit's bytes (not on
 * the hub). Then pending.json, and the folders that name it and the staged files.
 */
export function writePending(paths: SidecarPaths, pending: PendingPull, local: { seq: number; bytes: Uint8Array | Iterable<Uint8Array> } | undefined): void {
  if (local) writeFileUnsynced(pendingBytesFile(paths, local.seq), local.bytes);
  writeFileUnsynced(pendingFile(paths), JSON.stringify(pending, null, 2) + '\n');
  fsyncPaths([pullDir(paths)]); // the folder itself was made durable by stageHubEntries
}

export function hasPendingPull(paths: SidecarPaths): boolean {
  return existsSync(pendingFile(paths));
}

/** Whether a pending entry's bytes are there and match their recorded size and sha256. */
export function entryBytesIntact(paths: SidecarPaths, meta: LogEntryMeta): boolean {
  const file = pendingBytesFile(paths, meta.seq);
  if (!existsSync(file)) return false;
  const { sha256, size } = fileChecksum(file);
  return size === meta.size && sha256 === meta.sha256;
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
