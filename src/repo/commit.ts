// `commit`: the difference between the base snapshot and the live database becomes the next
// log entry; then the base advances by applying exactly that entry (see base.ts). When the
// fingerprint says nothing changed, the base is not read at all (only refreshed by a copy
// when a replica that only pulls has let it fall far behind, base-from-live.ts).
import { writeChangeset } from '../changeset/index.ts';
import { applyEntry, openBaseAsIs } from './base.ts';
import { refreshBaseIfFarBehind } from './base-from-live.ts';
import { withUncommittedDiff } from './diff.ts';
import { saveFingerprint, takeStamp, unchangedSince } from './fingerprint.ts';
import { sha256Hex, writeEntry, type LogEntryMeta } from './log.ts';
import { rememberPages } from './page-scope.ts';
import type { Replica } from './replica.ts';

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
    const captured = withUncommittedDiff(paths, (diff) => {
      const bytes = writeChangeset('changeset', diff.changes());
      opts.explain?.(diff.compared.why);
      return { bytes, schema: diff.schema.statements, pages: diff.pageMap() };
    });
    if (captured.bytes.byteLength === 0 && captured.schema.length === 0) {
      saveFingerprint(paths, stamp, last);
      rememberPages(paths, captured.pages, last);
      return null;
    }
    const meta = appendEntry(replica, captured.bytes, captured.schema, opts.message ?? '');
    const base = openBaseAsIs(paths); // caught up by withUncommittedDiff, one entry behind now
    try {
      applyEntry(base, paths.base, { meta, bytes: captured.bytes });
    } finally {
      base.close();
    }
    saveFingerprint(paths, stamp, meta.seq);
    rememberPages(paths, captured.pages, meta.seq);
    return meta;
  });
}

/** Metadata for the next entry, written to the log (bytes, then metadata). Call with the lock held. */
export function appendEntry(replica: Replica, bytes: Uint8Array, schema: string[], message: string): LogEntryMeta {
  const last = replica.lastSeq();
  const meta: LogEntryMeta = {
    seq: last + 1,
    parent: last === 0 || !replica.hasEntry(last) ? null : replica.meta(last).sha256,
    replicaId: replica.replicaId,
    time: new Date().toISOString(),
    message,
    kind: 'changeset',
    schema,
    sha256: sha256Hex(bytes),
    size: bytes.byteLength,
  };
  writeEntry(replica.paths, meta, bytes);
  return meta;
}
