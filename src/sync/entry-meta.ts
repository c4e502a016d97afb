// An entry's metadata on each side: the log's (`LogEntryMeta`: the replica's id, a null parent
// for the first entry) and the hub's (`EntryMeta`: `replica`, a parent always named). The two
// conversions, written once, for push and pull.
import type { EntryMeta } from '../hub/remote.ts';
import type { LogEntryMeta } from '../repo/log/log.ts';

/** Local commit `local` as the hub stores it: pushed by `replica`, after `parent`, in the hub's kind, with the bytes' checksum and the content digest. */
export function hubMeta(
  local: LogEntryMeta,
  at: Pick<EntryMeta, 'seq' | 'parent' | 'replica' | 'kind' | 'sha256' | 'size'> & { digest: Record<string, string> },
): EntryMeta {
  return {
    seq: at.seq, parent: at.parent, replica: at.replica, time: local.time, message: local.message, schema: local.schema,
    kind: at.kind, sha256: at.sha256, size: at.size, digest: at.digest,
  };
}

/** Hub entry `meta` as the log keeps it (the first entry's parent is the genesis, which the log does not name). */
export function logMeta(meta: EntryMeta): LogEntryMeta {
  return {
    seq: meta.seq, parent: meta.seq === 1 ? null : meta.parent, replicaId: meta.replica, time: meta.time,
    message: meta.message, kind: meta.kind, schema: meta.schema, sha256: meta.sha256, size: meta.size,
    ...(meta.digest === undefined ? {} : { digest: meta.digest }),
  };
}
