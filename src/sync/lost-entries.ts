// An interrupted pull whose copy of some hub entries is lost: fetched again before recovery
// needs them. Apart from fetch.ts, which a pull with nothing to fetch does not load.
import type { Remote } from '../hub/remote.ts';
import { createHash, type Hash } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { SqlferryError, EXIT } from '../errors/index.ts';
import { acquireLock } from '../repo/lock.ts';
import { fsyncDir, tempPathFor } from '../repo/atomic.ts';
import { hasPendingPull, pendingBytesFile, pullDir } from '../repo/pull-recovery/pending-pull.ts';
import { lostEntries } from '../repo/pull-recovery/recover-pull.ts';
import type { Replica } from '../repo/replica.ts';
import { inWindow } from '../shared/in-window.ts';
import { writeStreamDurably } from './write-stream.ts';

async function* hashed(body: AsyncIterable<Uint8Array>, hash: Hash): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    hash.update(chunk);
    yield chunk;
  }
}

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
    await inWindow(lost, WINDOW, async (meta) => {
      // Streamed into a temp file, hashed as it passes: a lost entry may be a bulk load's.
      const target = pendingBytesFile(replica.paths, meta.seq);
      const temp = tempPathFor(target);
      const hash = createHash('sha256');
      try {
        await writeStreamDurably(temp, hashed((await remote.read(meta.seq)).body, hash));
      } catch (err) {
        await rm(temp, { force: true });
        throw new SqlferryError('PULL_ENTRIES_UNREACHABLE', `an interrupted pull needs hub entries ${seqs} again and the hub at ${remote.url} could not send them (${(err as Error).message}); the next pull tries again`, {
          data: { url: remote.url, seqs: lost.map((m) => m.seq) },
          exitCode: err instanceof SqlferryError ? err.exitCode : EXIT.failure,
          cause: err,
        });
      }
      if (hash.digest('hex') !== meta.sha256) {
        await rm(temp, { force: true });
        throw new SqlferryError('HUB_HISTORY_MISMATCH', `the hub at ${remote.url} holds other bytes for entry ${meta.seq} than the interrupted pull recorded`, {
          data: { url: remote.url, seq: meta.seq },
          exitCode: EXIT.corrupt,
          hint: 'the hub was replaced or rewritten; clone a fresh replica from it (sqlferry clone URL DB)',
        });
      }
      await rename(temp, target);
    });
    fsyncDir(pullDir(replica.paths));
  } finally {
    lock.release();
  }
}
