// A pull commits the live database first and updates the sidecar after. A crash between the
// two must be recoverable with certainty, so before COMMIT the pull writes `pull/pending.json`
// (with the new log entries and conflicts beside it) and records which PRAGMA schema_version
// the database will have if the COMMIT lands: inside the transaction it creates and drops a
// scratch table a random number of times (each statement moves schema_version by one).
// Afterwards schema_version equal to `after` means committed; equal to `before` means rolled
// back; anything else (another program changed the schema meanwhile) is not guessed at.
import { closeSync, constants, existsSync, fsync, open, openSync, readFileSync, rmSync, write } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { randomBytes, randomInt } from 'node:crypto';
import { fsyncDir, fsyncPaths, readJson, writeFileUnsynced, writeJsonAtomic } from './atomic.ts';
import { metaJson, sha256Hex, type LogEntryMeta } from './log.ts';
import type { SidecarPaths } from './sidecar.ts';
import { schemaVersion } from './sqlite.ts';
import type { NewConflict } from './conflict-store.ts';

/**
 * prepared: written before COMMIT; rewound: committed, base.db at oldHubSeq. A pull whose
 * log and state are written is recognised by them (recover-pull.ts), not by a phase.
 */
export type PullPhase = 'prepared' | 'rewound';

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

const writeAsync = promisify(write);
const fsyncAsync = promisify(fsync);
// Raw descriptors, not FileHandles: a FileHandle closes its descriptor again when collected,
// by then maybe another file's (SQLite's, whose locks that would drop).
const openAsync = promisify(open);

export function pullDir(paths: SidecarPaths): string {
  return join(paths.dir, 'pull');
}

const pendingFile = (paths: SidecarPaths) => join(pullDir(paths), 'pending.json');
/** Where the pending record keeps an entry's bytes and metadata (linked into the log after COMMIT). */
export const pendingBytesFile = (paths: SidecarPaths, seq: number) => join(pullDir(paths), `${seq}.bytes`);
export const pendingMetaFile = (paths: SidecarPaths, seq: number) => join(pullDir(paths), `${seq}.json`);
/** state.json as the pull leaves it, renamed into place after COMMIT. */
export const pendingStateFile = (paths: SidecarPaths) => join(pullDir(paths), 'state.json');

export function stateJson(state: PendingPull['state']): string {
  return JSON.stringify(state, null, 2) + '\n';
}

/** Inside the transaction, last thing before COMMIT: move schema_version by a random, recorded amount. */
export function markTransaction(db: DatabaseSync): number {
  const scratch = `sqlferry_pull_${randomBytes(6).toString('hex')}`;
  for (let i = randomInt(16, 48); i > 0; i--) db.exec(`CREATE TABLE main.${scratch}(x); DROP TABLE main.${scratch};`);
  return schemaVersion(db);
}

/**
 * What a pull writes before its live transaction, in pull/: the hub entries' bytes and log
 * metadata, and state.json as the pull leaves it. After COMMIT they are hard-linked (renamed)
 * into place, so only folders need an fsync then. The files are created while the entries
 * are still being read from the hub, and each entry is written as soon as it arrives; each
 * write is one request on the thread pool (O_DSYNC: it returns once its data is on disk), so
 * what is left when the apply starts needs nothing from the busy main thread to finish. The bytes are checked by sha256 all the
 * same before they enter the log (recover-pull.ts): the hub keeps them, so a damaged one is
 * fetched again (fetch.ts, restoreLostEntries) rather than trusted.
 */
export class Staging {
  private readonly paths: SidecarPaths;
  private readonly fds: Map<string, number>;

  private constructor(paths: SidecarPaths, fds: Map<string, number>) {
    this.paths = paths;
    this.fds = fds;
  }

  /** Creates pull/ and its files for entries `seqs`; call while reading them. */
  static async create(paths: SidecarPaths, seqs: readonly number[]): Promise<Staging> {
    await rm(pullDir(paths), { recursive: true, force: true });
    await mkdir(pullDir(paths));
    const names = [...seqs.flatMap((seq) => [pendingBytesFile(paths, seq), pendingMetaFile(paths, seq)]), pendingStateFile(paths)];
    const opened = await Promise.allSettled(names.map((path) => openAsync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_DSYNC)));
    const staging = new Staging(paths, new Map(opened.flatMap((o, i) => (o.status === 'fulfilled' ? [[names[i]!, o.value] as const] : []))));
    const failed = opened.find((o) => o.status === 'rejected');
    if (failed) {
      staging.discard();
      throw failed.reason;
    }
    return staging;
  }

  /** Writes an entry's bytes, as soon as they arrive from the hub. */
  writeBytes(seq: number, bytes: Uint8Array): Promise<void> {
    return this.writeFile(pendingBytesFile(this.paths, seq), bytes);
  }

  /** Writes the entries' log metadata and state.json; resolves once they are durable, and pull/ itself with them. */
  async writeRecord(entries: readonly LogEntryMeta[], state: PendingPull['state']): Promise<void> {
    const dirFd = openSync(this.paths.dir, 'r');
    await Promise.all([
      ...entries.map((meta) => this.writeFile(pendingMetaFile(this.paths, meta.seq), Buffer.from(metaJson(meta)))),
      this.writeFile(pendingStateFile(this.paths), Buffer.from(stateJson(state))),
      fsyncAsync(dirFd).finally(() => closeSync(dirFd)), // the name of pull/ itself
    ]);
  }

  private async writeFile(path: string, bytes: Uint8Array): Promise<void> {
    const fd = this.fds.get(path)!;
    try {
      for (let off = 0; off < bytes.byteLength;) off += (await writeAsync(fd, bytes, off)).bytesWritten;
    } finally {
      this.close(path);
    }
  }

  /** Closes what is still open and removes pull/: for a pull that stopped before writePending. */
  discard(): void {
    for (const path of [...this.fds.keys()]) this.close(path);
    clearPending(this.paths);
  }

  private close(path: string): void {
    const fd = this.fds.get(path);
    if (fd === undefined) return;
    this.fds.delete(path);
    closeSync(fd);
  }
}

/**
 * The last write before COMMIT; pending.json's existence means "a pull may have committed".
 * What exists nowhere else is made durable first: the rebased local commit's bytes (not on
 * the hub). Then pending.json, and the folders that name it and the staged files.
 */
export function writePending(paths: SidecarPaths, pending: PendingPull, local: { meta: LogEntryMeta; bytes: Uint8Array } | undefined): void {
  if (local) {
    writeFileUnsynced(pendingBytesFile(paths, local.meta.seq), local.bytes);
    writeFileUnsynced(pendingMetaFile(paths, local.meta.seq), metaJson(local.meta));
  }
  writeFileUnsynced(pendingFile(paths), JSON.stringify(pending, null, 2) + '\n');
  fsyncPaths([pullDir(paths)]); // the folder's own name was made durable by Staging.write
}

export function hasPendingPull(paths: SidecarPaths): boolean {
  return existsSync(pendingFile(paths));
}

/** Whether a pending entry's bytes are there and match their recorded size and sha256. */
export function entryBytesIntact(paths: SidecarPaths, meta: LogEntryMeta): boolean {
  const file = pendingBytesFile(paths, meta.seq);
  if (!existsSync(file)) return false;
  const bytes = readFileSync(file);
  return bytes.byteLength === meta.size && sha256Hex(bytes) === meta.sha256;
}

/** Bytes fetched again from the hub, checked by the caller against the recorded sha256. */
export function restoreEntryBytes(paths: SidecarPaths, entries: ReadonlyArray<{ seq: number; bytes: Uint8Array }>): void {
  for (const e of entries) writeFileUnsynced(pendingBytesFile(paths, e.seq), e.bytes);
  fsyncDir(pullDir(paths));
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
