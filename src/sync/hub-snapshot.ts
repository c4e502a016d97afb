// Later snapshots keep clones fast: without them a clone replays the hub's whole history.
// After a push, once the entries since the hub's latest snapshot add up to more than twice
// the database's bytes, the pusher uploads its base snapshot — exactly the hub's state at
// head, since every local commit is now on the hub. Each snapshot (about the database's size)
// is paid for by at least two databases' worth of log, so the pushes' uploads stay within 1.5×
// the bytes of their entries over time (on a real link, bytes are the time), and a clone
// downloads at most the snapshot plus about two databases' worth of entries.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { SqlferryError } from '../errors/index.ts';
import type { Remote } from '../hub/remote.ts';
import { openBase, openBaseAsIs } from '../repo/base/base.ts';
import type { Replica } from '../repo/replica.ts';
import { readSeq, snapshotInto } from '../repo/base/snapshot.ts';
import { databaseBytes } from '../repo/sqlite.ts';
import { counted, tracked, type Progress } from './progress.ts';
import { metered } from '../shared/pieces.ts';
import { listEntries } from './list-entries.ts';

export type SnapshotOutcome = { uploaded: number } | { skipped: 'not-due' | 'taken' | 'not-allowed' } | { failed: string };

/** Call holding the replica lock, right after a push that left the replica at the hub's `head`. */
export async function uploadSnapshotIfDue(replica: Replica, remote: Remote, head: number, progress?: Progress): Promise<SnapshotOutcome> {
  const latest = await remote.latestSnapshot(head);
  const logBytes = (await listEntries(remote, latest?.seq ?? 0)).reduce((n, e) => n + e.size, 0);
  const file = replica.paths.snapshotUpload;
  const asIs = openBaseAsIs(replica.paths);
  try {
    if (logBytes <= 2 * databaseBytes(asIs)) return { skipped: 'not-due' };
  } finally {
    asIs.close();
  }
  const base = openBase(replica.paths); // only now worth bringing up to the log's end
  try {
    if (readSeq(base, replica.paths.base) !== head) return { skipped: 'not-due' };
    await rm(file, { force: true });
    snapshotInto(base, replica.paths.base, file, () => {});
  } finally {
    base.close();
  }
  try {
    await uploadSnapshotFile(remote, file, head, replica.replicaId, progress, `Uploading a snapshot at entry ${head}`);
    return { uploaded: head };
  } catch (err) {
    // The push itself succeeded; a snapshot is an optimisation the next push tries again.
    if ((err as SqlferryError).code === 'HUB_SNAPSHOT_EXISTS') return { skipped: 'taken' };
    // A token limited to tables leaves snapshots to others (src/server/table-limit.ts): nothing to warn about.
    if ((err as SqlferryError).code === 'HUB_TABLE_NOT_ALLOWED') return { skipped: 'not-allowed' };
    return { failed: (err as Error).message };
  } finally {
    await rm(file, { force: true });
  }
}

/**
 * A database file sent as hub snapshot `seq`: read once for its sha256 and size, then streamed,
 * never held whole in memory. Returns the sha256 and size it was sent under.
 */
export async function uploadSnapshotFile(remote: Remote, path: string, seq: number, replicaId: string, progress: Progress | undefined, label: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of metered(createReadStream(path) as AsyncIterable<Buffer>)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).byteLength;
  }
  const meta = { seq, sha256: hash.digest('hex'), size, replica: replicaId, time: new Date().toISOString() };
  await tracked(progress, label, size, 'bytes', (advance) => remote.writeSnapshot(meta, counted(metered(createReadStream(path)), advance)));
  return { sha256: meta.sha256, size };
}
