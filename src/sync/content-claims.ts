// What a push says about content: each entry it appends carries the digest of every table
// after it (src/changeset/digest.ts), counted from the replica's digest at the hub position
// plus each local entry's change. And a replica whose sidecar was written by something other
// than sqlferry checks its base snapshot against that count before it pushes anything.
import { digestClaims, entryDelta, lanesFromRecord, type TableDigests } from '../changeset/digest.ts';
import { SqlferryError, EXIT } from '../errors/index.ts';
import { scanDigests } from '../repo/digest-scan.ts';
import { advanceDigests, claimMismatch, digestsAt, rescanInto, saveDigests, scanAt } from '../repo/digest-state.ts';
import type { LogEntry, LogEntryMeta } from '../repo/log/log.ts';
import { fileDelta } from './file-delta.ts';
import { entryPaths } from '../repo/sidecar.ts';
import { streamed } from '../shared/pieces.ts';
import type { Replica } from '../repo/replica.ts';
import { openBase } from '../repo/base/base.ts';
import { clearSuspicion, isSuspect } from '../repo/sidecar-stamp.ts';

export class ContentClaims {
  private readonly replica: Replica;
  private seq: number;
  private digests: TableDigests | undefined;
  private readonly countedAtCommit: boolean;

  /** `countedAtCommit`: take a commit's own count of its change (`digestChange`); false when the log may have been changed behind sqlferry's back. */
  constructor(replica: Replica, hubSeq: number, countedAtCommit: boolean) {
    this.replica = replica;
    this.seq = hubSeq;
    this.countedAtCommit = countedAtCommit;
  }

  /** The claims of local entry `entry`, the next one after the last asked about. */
  after(entry: LogEntry): Record<string, string> {
    const counted = this.countedAtCommit && entry.meta.digestChange !== undefined ? lanesFromRecord(entry.meta.digestChange) : undefined;
    return this.afterDelta(entry.meta, counted ?? entryDelta(entry.bytes));
  }

  /** The same for a large entry, read from its log file a piece at a time (file-delta.ts). */
  afterFile(meta: LogEntryMeta, file: string): Record<string, string> {
    return this.afterDelta(meta, fileDeltaOf(file));
  }

  private afterDelta(meta: LogEntryMeta, delta: TableDigests | undefined): Record<string, string> {
    const digests = (this.digests ??= digestsAt(this.replica, this.seq));
    const rescan = advanceDigests(digests, meta.schema, delta);
    rescanInto(digests, rescan, (only) => scanAt(this.replica, meta.seq, only));
    this.seq = meta.seq;
    return digestClaims(digests);
  }

  /** Keep the count at the new hub position, once every entry asked about was appended. */
  save(): void {
    if (this.digests !== undefined) saveDigests(this.replica, this.seq, this.digests);
  }
}

/** A local commit's change of digest from its log file (always a changeset), a piece at a time. */
function fileDeltaOf(file: string): TableDigests {
  return fileDelta(file, 'changeset').delta;
}

/**
 * Refuse to push when base.db or the log was changed behind sqlferry's back and no longer matches
 * the log. True when the replica was suspect (and found right): its commits' own counts of their
 * changes are then not taken either.
 */
export function refuseIfDamaged(replica: Replica): boolean {
  if (!isSuspect(replica.paths)) return false;
  const hubSeq = replica.state().hubSeq;
  const expected = digestsAt(replica, hubSeq);
  for (const seq of replica.seqsAfter(hubSeq)) {
    const meta = replica.meta(seq);
    const delta = streamed(meta.size) ? fileDeltaOf(entryPaths(replica.paths, seq).bytes) : entryDelta(replica.entry(seq).bytes);
    rescanInto(expected, advanceDigests(expected, meta.schema, delta), (only) => scanAt(replica, seq, only));
  }
  const base = openBase(replica.paths);
  let table: string | undefined;
  try {
    table = claimMismatch(scanDigests(base), digestClaims(expected));
  } finally {
    base.close();
  }
  if (table === undefined) {
    clearSuspicion(replica.paths);
    return true;
  }
  throw new SqlferryError('REPLICA_DAMAGED', `this replica's base snapshot no longer matches its log (table "${table}"): something other than sqlferry changed it, so nothing was pushed`, {
    data: { table },
    exitCode: EXIT.corrupt,
    hint: 'run sqlferry verify; then clone a fresh replica from the hub and carry local work over',
  });
}
