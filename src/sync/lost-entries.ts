// An interrupted pull whose copy of some hub entries is lost: fetched again before recovery
// needs them. Apart from fetch.ts, which a pull with nothing to fetch does not load.
import type { Remote } from '../hub/remote.ts';
import { collect, sha256 } from '../hub/checksum.ts';
import { SqlferryError, EXIT } from '../errors/index.ts';
import { acquireLock } from '../repo/lock.ts';
import { hasPendingPull, restoreEntryBytes } from '../repo/pull-recovery/pending-pull.ts';
import { lostEntries } from '../repo/pull-recovery/recover-pull.ts';
import type { Replica } from '../repo/replica.ts';
import { inWindow } from '../shared/in-window.ts';

/** Reads in flight at once: each costs a round trip on a network hub, and a file descriptor. */
const WINDOW = 8;

/**
 * An interrupted pull whose copy of some hub entries is missing or damaged (recover-pull.ts,
 * lostEntries) cannot be finished offline: fetch them again by seq, accept only the recorded
 * sha256, before recovery needs them. If the hub cannot send them, say so; the pending record
 * is left as it is, so the next pull tries again.
 */
export async function restoreLostEntries(replica: Replica, remote: Remote): Promise<void> {
  if (!hasPendingPull(replica.paths)) return; // the usual case, answered without the lock
  const lock = acquireLock(replica.paths.lock);
  try {
    const lost = lostEntries(replica.paths);
    if (lost.length === 0) return;
    const seqs = lost.map((m) => m.seq).join(', ');
    const restored = await inWindow(lost, WINDOW, async (meta) => {
      let bytes: Uint8Array;
      try {
        bytes = await collect((await remote.read(meta.seq)).body);
      } catch (err) {
        throw new SqlferryError('PULL_ENTRIES_UNREACHABLE', `an interrupted pull needs hub entries ${seqs} again and the hub at ${remote.url} could not send them (${(err as Error).message}); the next pull tries again`, {
          data: { url: remote.url, seqs: lost.map((m) => m.seq) },
          exitCode: err instanceof SqlferryError ? err.exitCode : EXIT.failure,
          cause: err,
        });
      }
      if (sha256(bytes) !== meta.sha256) {
        throw new SqlferryError('HUB_HISTORY_MISMATCH', `the hub at ${remote.url} holds other bytes for entry ${meta.seq} than the interrupted pull recorded`, {
          data: { url: remote.url, seq: meta.seq },
          exitCode: EXIT.corrupt,
          hint: 'the hub was replaced or rewritten; clone a fresh replica from it (sqlferry clone URL DB)',
        });
      }
      return { seq: meta.seq, bytes };
    });
    restoreEntryBytes(replica.paths, restored);
  } finally {
    lock.release();
  }
}
