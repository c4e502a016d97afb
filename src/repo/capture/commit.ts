// `commit`: the difference between the base snapshot and the live database becomes the next
// log entry, and the base advances to it in the same pass (capture-entry.ts). When the
// fingerprint says nothing changed, the base is not read at all (only refreshed by a copy
// when a replica that only pulls has let it fall far behind, base-from-live.ts).
import { catchUpBase } from '../base/base.ts';
import { refreshBaseIfFarBehind } from '../base/base-from-live.ts';
import { captureEntry } from './capture-entry.ts';
import { saveFingerprint, takeStamp, takeStampPastTick, unchangedSince } from '../pages/fingerprint.ts';
import { sha256 } from '../../hub/checksum.ts';
import { writeEntry, type LogEntryMeta } from '../log/log.ts';
import { pageScope, rememberPages } from '../pages/page-scope.ts';
import { writeJsonAtomic } from '../atomic.ts';
import type { Replica } from '../replica.ts';
import type { EntryFile } from './entry-file.ts';
import { entryPaths } from '../sidecar.ts';
import { entryDelta, lanesRecord } from '../../changeset/digest.ts';
import { streamed } from '../../shared/pieces.ts';

export interface CommitOptions {
  message?: string;
  /** Told which tables the capture compared, and why (for -v). */
  explain?: (line: string) => void;
}

/** The new entry, or null when nothing changed. */
export function commit(replica: Replica, opts: CommitOptions = {}): LogEntryMeta | null {
  return replica.withLock(() => {
    const paths = replica.paths;
    const last = replica.lastSeq();
    const stamp = takeStamp(paths);
    if (unchangedSince(paths, stamp, last)) {
      opts.explain?.(`nothing changed since commit ${last} (the database files stat as then): no table read`);
      refreshBaseIfFarBehind(paths, last);
      return null;
    }
    catchUpBase(paths);
    const before = takeStampPastTick(paths); // after catching up: nearer the read transaction
    const captured = captureEntry(paths, last + 1, ({ sha256, size, schema, digestChange }) => {
      const meta = entryMeta(replica, sha256, size, schema, opts.message ?? '');
      const next = digestChange === undefined ? meta : { ...meta, digestChange: lanesRecord(digestChange) };
      writeJsonAtomic(entryPaths(paths, next.seq).meta, next);
      return next;
    }, (db, schema) => pageScope(paths, db, before, last, schema), before);
    opts.explain?.(captured.compared.why);
    captured.notes.forEach((note) => opts.explain?.(note));
    const meta = captured.entry;
    saveFingerprint(paths, stamp, meta?.seq ?? last);
    rememberPages(paths, captured.pages, meta?.seq ?? last);
    return meta;
  });
}

/**
 * `meta` with its entry's change of content digest, counted from the bytes held: a push of this
 * entry then sums it rather than hashing every cell again. A large entry (src/shared/pieces.ts)
 * is left to push, which reads it a piece at a time.
 */
function withDigestChange(meta: LogEntryMeta, bytes: Uint8Array): LogEntryMeta {
  const delta = streamed(meta.size) ? undefined : entryDelta(bytes);
  return delta === undefined ? meta : { ...meta, digestChange: lanesRecord(delta) };
}

/** Metadata for the next entry, written to the log (bytes, then metadata). Call with the lock held. */
export function appendEntry(replica: Replica, bytes: Uint8Array, schema: string[], message: string): LogEntryMeta {
  const meta = withDigestChange(entryMeta(replica, sha256(bytes), bytes.byteLength, schema, message), bytes);
  writeEntry(replica.paths, meta, bytes);
  return meta;
}

/** appendEntry for bytes written to an EntryFile a piece at a time (revert): the file published, then the metadata. */
export function appendEntryFile(replica: Replica, file: EntryFile, schema: string[], message: string): LogEntryMeta {
  const meta = entryMeta(replica, file.sha256(), file.size, schema, message);
  if (file.target !== entryPaths(replica.paths, meta.seq).bytes) throw new Error(`${file.path} was not written for entry ${meta.seq}`);
  file.publish();
  writeJsonAtomic(entryPaths(replica.paths, meta.seq).meta, meta);
  return meta;
}

/** Metadata for the next entry, whose bytes hash to `sha256`. */
function entryMeta(replica: Replica, sha256: string, size: number, schema: string[], message: string): LogEntryMeta {
  const last = replica.lastSeq();
  return {
    seq: last + 1,
    parent: last === 0 || !replica.hasEntry(last) ? null : replica.meta(last).sha256,
    replicaId: replica.replicaId,
    time: new Date().toISOString(),
    message,
    kind: 'changeset',
    schema,
    sha256,
    size,
  };
}
