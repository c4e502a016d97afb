// The numbered local log: `log/0000000001.changeset` holds exactly the changeset bytes,
// `log/0000000001.json` its metadata. The metadata file is written last: its existence
// is the commit point, so bytes without metadata are the leftovers of a crash.
import { sha256 } from '../../hub/checksum.ts';
import { existsSync, linkSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import type { ChangesetKind } from '../../changeset/types.ts';
import { SqlferryError, EXIT } from '../../errors/index.ts';
import { readJson, writeFileAtomic, writeFileRenamed, writeJsonAtomic } from '../atomic.ts';
import { entryPaths, type SidecarPaths } from '../sidecar.ts';
import { seqsAfter } from './log-end.ts';
import { fileChecksum, streamed } from '../../shared/pieces.ts';

export interface LogEntryMeta {
  seq: number;
  /** sha256 of the previous entry's bytes; null for the first entry after genesis. */
  parent: string | null;
  replicaId: string;
  /** ISO 8601, UTC. */
  time: string;
  message: string;
  kind: ChangesetKind;
  /** SQL replayed, in order, before the changeset: CREATE/DROP/ALTER … */
  schema: string[];
  sha256: string;
  size: number;
  /** For an entry pulled from a hub: the content digest it claimed (per table), checked when it was pulled. */
  digest?: Record<string, string>;
  /**
   * For a local commit held whole: the change of content digest its bytes make (per table, the
   * lanes in base64: lanesRecord in src/changeset/digest.ts), counted once as it is committed so that push does not
   * hash its rows again. Absent on other entries: push counts it from the bytes.
   */
  digestChange?: Record<string, string>;
}

export interface LogEntry {
  meta: LogEntryMeta;
  bytes: Uint8Array;
}

/** The metadata `log --json` and `show --json` print: without `digestChange`, push's cache. */
export function shownMeta(meta: LogEntryMeta): Omit<LogEntryMeta, 'digestChange'> {
  const { digestChange: _counted, ...shown } = meta;
  return shown;
}

/** A large entry (src/shared/pieces.ts), checked against its metadata and left in its file: read a piece at a time. */
export interface LogEntryFile {
  meta: LogEntryMeta;
  file: string;
}

/** The entry whole, or left in its file when it is large. */
export function readEntryOrFile(paths: SidecarPaths, seq: number): LogEntry | LogEntryFile {
  if (!streamed(readMeta(paths, seq).size)) return readEntry(paths, seq);
  return { meta: checkEntryFile(paths, seq), file: entryPaths(paths, seq).bytes };
}

/** Every sequence number in the log (metadata written), ascending, from a listing of the folder: for commands that show or check the whole log. */
export function listSeqs(paths: SidecarPaths): number[] {
  if (!existsSync(paths.log)) return [];
  return readdirSync(paths.log)
    .filter((name) => /^\d{10}\.json$/.test(name))
    .map((name) => Number(name.slice(0, 10)))
    .sort((a, b) => a - b);
}

export function readMeta(paths: SidecarPaths, seq: number): LogEntryMeta {
  const { meta } = entryPaths(paths, seq);
  if (!existsSync(meta)) {
    throw new SqlferryError('NO_SUCH_ENTRY', `there is no commit ${seq}`, {
      data: { seq },
      hint: 'sqlferry log lists the commits',
    });
  }
  return readJson<LogEntryMeta>(meta);
}

/** The entry with its bytes, checked against the recorded size and sha256. */
export function readEntry(paths: SidecarPaths, seq: number): LogEntry {
  const meta = readMeta(paths, seq);
  const file = entryPaths(paths, seq).bytes;
  const bytes = existsSync(file) ? uint8View(readFileSync(file)) : undefined;
  if (bytes === undefined || bytes.byteLength !== meta.size || sha256(bytes) !== meta.sha256) throw logCorrupt(seq, file);
  return { meta, bytes };
}

/**
 * A Buffer's bytes as a plain Uint8Array, not copied: a copy of a push's 6.6 MB of entries cost
 * ~20 ms in a fresh process, most of it the new memory's page faults.
 */
function uint8View(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** An entry's metadata, its bytes checked against it a piece at a time: for an entry too large to hold (or to read at all) whole. */
export function checkEntryFile(paths: SidecarPaths, seq: number): LogEntryMeta {
  const meta = readMeta(paths, seq);
  const file = entryPaths(paths, seq).bytes;
  const sum = existsSync(file) ? fileChecksum(file) : undefined;
  if (sum === undefined || sum.size !== meta.size || sum.sha256 !== meta.sha256) throw logCorrupt(seq, file);
  return meta;
}

export function logCorrupt(seq: number, file: string): SqlferryError {
  return new SqlferryError('LOG_CORRUPT', `log entry ${seq} does not match its checksum`, {
    data: { seq, path: file },
    exitCode: EXIT.corrupt,
    hint: 'the file was changed or damaged; restore the sidecar folder from a backup',
  });
}

/** Write an entry (bytes, then metadata: the commit point). Overwrites leftovers of a crash. */
export function writeEntry(paths: SidecarPaths, meta: LogEntryMeta, bytes: Uint8Array): void {
  const target = entryPaths(paths, meta.seq);
  writeFileAtomic(target.bytes, bytes);
  writeJsonAtomic(target.meta, meta);
}

/**
 * Put entries into the log whose bytes are already durable in files on the same filesystem
 * (a pull's staging folder): each bytes file is hard-linked, not written a second time; each
 * metadata file is written without fsync. Returns the files the caller must fsync, with the
 * log folder, before anything forgets how to redo the batch (recover-pull.ts).
 */
export function linkEntries(paths: SidecarPaths, entries: Array<{ meta: LogEntryMeta; bytesFile: string }>): string[] {
  const written: string[] = [];
  for (const { meta, bytesFile } of entries) {
    const target = entryPaths(paths, meta.seq);
    rmSync(target.bytes, { force: true }); // the leftover of a crash, or of an earlier try
    try {
      linkSync(bytesFile, target.bytes);
    } catch {
      writeFileRenamed(target.bytes, readFileSync(bytesFile)); // a filesystem without hard links
      written.push(target.bytes);
    }
    writeFileRenamed(target.meta, JSON.stringify(meta, null, 2) + '\n');
    written.push(target.meta);
  }
  return written;
}

/** Whether the log holds exactly this entry (metadata and bytes, as a pull wrote them). */
export function logHolds(paths: SidecarPaths, meta: LogEntryMeta): boolean {
  const target = entryPaths(paths, meta.seq);
  if (!existsSync(target.meta) || !existsSync(target.bytes)) return false;
  let found: LogEntryMeta;
  try {
    found = readJson<LogEntryMeta>(target.meta);
  } catch {
    return false;
  }
  return found.sha256 === meta.sha256 && found.time === meta.time && found.replicaId === meta.replicaId && statSync(target.bytes).size === meta.size;
}

/** Remove entries after `seq`, newest first, metadata before bytes (the reverse of writing). */
export function removeEntriesAfter(paths: SidecarPaths, seq: number): void {
  for (const s of seqsAfter(paths, seq).reverse()) {
    const target = entryPaths(paths, s);
    unlinkSync(target.meta);
    if (existsSync(target.bytes)) unlinkSync(target.bytes);
  }
}
