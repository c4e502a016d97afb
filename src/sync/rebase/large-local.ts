// A pull's rebase when one local commit is large (src/shared/pieces.ts: a bulk load not pushed
// yet), in bounded memory and without writing its rows again. The usual rebase
// (rebase/index.ts) undoes the local commits, applies the hub's entries, squashes the local
// commits into one changeset, re-applies it and records what it did with a session: memory and
// work in proportion to the local commits (a 1,000,000-row commit pulled over took 1.5 GB and 20 s).
// Here the hub's entries are applied on top of the local changes instead. Where not one of their
// changes conflicts with the database as the local commits left it (every row they change is as
// the hub had it, every key they insert free), the result is the one the usual rebase reaches:
// the local changes touch other rows, or other columns of a row, which then still hold the
// values the local changes expect. The rebased commit is then the local changes as they are:
// the small commits squashed, followed by the large one's bytes, copied from its file. An entry
// holds each row once (pieces of it are undone in any order), so the small commits' rows are
// checked not to be the large one's. Taken only where this holds: a hub that changes no schema
// and sends changesets (a patchset's digest is counted from the rows it touches, which must be
// the hub's), and no foreign key left dangling; at the first conflict everything done here is
// rolled back and the usual rebase runs, reading the commit whole.
import type { DatabaseSync } from 'node:sqlite';
import { createHash } from 'node:crypto';
import { iterateChanges } from '../../changeset/index.ts';
import { rowKey } from '../../changeset/row-key.ts';
import type { SqlferryError } from '../../errors/index.ts';
import { filePieces } from '../../repo/apply/apply-pieces.ts';
import type { LogEntry, LogEntryFile } from '../../repo/log/log.ts';
import { fileChunksInPlace, streamedAbove } from '../../shared/pieces.ts';
import { Shapes } from '../table-shape.ts';
import { violations } from './references.ts';
import { squashLocal } from './schema.ts';
import type { Resolved } from './decide.ts';

export interface LargeRebase {
  /** The local commits, oldest first; exactly one is left in its file. */
  local: ReadonlyArray<LogEntry | LogEntryFile>;
  large: LogEntryFile;
  small: LogEntry[];
}

/** The rebased local commit: its schema statements, its bytes (whole or in parts) and checksum, the conflicts resolved. */
export interface Rebased {
  schema: string[];
  bytes: Uint8Array | Iterable<Uint8Array>;
  sha256: string;
  size: number;
  resolved: Resolved[];
}

/**
 * Whether `local` rebases here: one commit left in its file, the others small enough to hold
 * (a large entry's threshold in all), and a hub whose entries change no schema and carry their
 * old values (changesets).
 */
export function largeRebase(local: ReadonlyArray<LogEntry | LogEntryFile>, hub: ReadonlyArray<{ meta: { kind: string; schema: string[] } }>): LargeRebase | undefined {
  const files = local.filter((e): e is LogEntryFile => 'file' in e);
  if (files.length !== 1 || hub.some((e) => e.meta.kind !== 'changeset' || e.meta.schema.length > 0)) return undefined;
  const small = local.filter((e): e is LogEntry => 'bytes' in e);
  if (small.reduce((n, e) => n + e.bytes.byteLength, 0) > streamedAbove()) return undefined;
  return { local, large: files[0]!, small };
}

/**
 * Inside the pull's transaction: `applyHub` (the hub's entries, which throws REPLICA_DIVERGED
 * where one does not apply) on top of the local changes; undefined, with nothing of it left in
 * the database, where the usual rebase must run instead (then `applyHub` runs again there).
 */
export function rebaseLarge(db: DatabaseSync, plan: LargeRebase, applyHub: () => void): Rebased | undefined {
  const smallBytes = plan.small.length > 0 ? squashLocal(db, plan.small) : new Uint8Array();
  if (smallBytes.length > 0 && sharesRows(smallBytes, plan.large.file)) return undefined;
  db.exec('SAVEPOINT sqlferry_large_rebase');
  let clean = false;
  try {
    try {
      applyHub();
    } catch (err) {
      if ((err as SqlferryError).code === 'REPLICA_DIVERGED') return undefined; // a local change in the way, or a real divergence the usual rebase reports
      throw err;
    }
    // The usual rebase resolves references the local changes left dangling; with any at all, it decides.
    clean = new Shapes(db).foreignKeys().length === 0 || violations(db).length === 0;
    if (!clean) return undefined;
    return { schema: plan.local.flatMap((e) => e.meta.schema), ...rebasedBytes(smallBytes, plan.large), resolved: [] }; // their statements stay applied
  } catch (err) {
    clean = false;
    throw err;
  } finally {
    if (!clean) db.exec('ROLLBACK TO sqlferry_large_rebase');
    db.exec('RELEASE sqlferry_large_rebase');
  }
}

/** Whether a row changed in `small` is also one of the file's. */
function sharesRows(small: Uint8Array, file: string): boolean {
  const keys = new Set<string>();
  for (const change of iterateChanges(small)) keys.add(`${change.table.name.toLowerCase()}\u0000${rowKey(change)}`);
  for (const piece of filePieces(file, 'changeset')) {
    for (const change of iterateChanges(piece)) if (keys.has(`${change.table.name.toLowerCase()}\u0000${rowKey(change)}`)) return true;
  }
  return false;
}

function rebasedBytes(small: Uint8Array, large: LogEntryFile): Pick<Rebased, 'bytes' | 'sha256' | 'size'> {
  const parts = function* (): Generator<Uint8Array> {
    if (small.length > 0) yield small;
    yield* fileChunksInPlace(large.file); // written out chunk by chunk (atomic.ts writeFileUnsynced)
  };
  if (small.length === 0) return { bytes: parts(), sha256: large.meta.sha256, size: large.meta.size };
  const hash = createHash('sha256');
  let size = 0;
  for (const part of parts()) {
    hash.update(part);
    size += part.byteLength;
  }
  return { bytes: parts(), sha256: hash.digest('hex'), size };
}
