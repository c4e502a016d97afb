// `clone`: a new replica from a hub — its latest snapshot (the genesis at least), then the
// entries after it. The database file appears only once its snapshot is complete and verified.
import { existsSync, renameSync, rmSync } from 'node:fs';
import type { DatabaseSync } from 'node:sqlite';
import { dirname, resolve } from 'node:path';
import { SqlferryError, EXIT } from '../errors/index.ts';
import type { TableDigests } from '../changeset/digest.ts';
import { digestsFromPages } from '../repo/digest-pages.ts';
import { claimMismatch, saveDigests } from '../repo/digest-state.ts';
import { stampSidecar } from '../repo/sidecar-stamp.ts';
import type { Remote } from '../hub/remote.ts';
import { tempPathFor } from '../repo/atomic.ts';
import { removeLeftoversOf } from '../repo/leftovers.ts';
import { readConfig, writeConfig } from '../repo/config.ts';
import { Replica } from '../repo/replica.ts';
import { sidecarPaths } from '../repo/sidecar.ts';
import { dropSeqTable, markSeq } from '../repo/base/snapshot.ts';
import { dataVersion, openDatabase } from '../repo/sqlite.ts';
import { saveFingerprint, takeStampPastTick } from '../repo/pages/fingerprint.ts';
import { writeStreamDurably } from './write-stream.ts';
import { pull, type PullOptions, type PullResult } from './pull.ts';
import { savePosition } from './hub-state.ts';
import { storedRemoteUrl } from './remotes.ts';
import { counted, tracked } from './progress.ts';
import { metered } from '../shared/pieces.ts';

export async function clone(remote: Remote, dbPath: string, opts: PullOptions & { remoteName?: string }): Promise<{ replica: Replica; snapshot: number; snapshotChecked: boolean; pull: PullResult }> {
  if (existsSync(dbPath)) {
    throw new SqlferryError('CLONE_TARGET_EXISTS', `${dbPath} already exists; clone makes a new database`, { hint: 'name a new file' });
  }
  const folder = dirname(resolve(dbPath));
  if (!existsSync(folder)) {
    throw new SqlferryError('CLONE_FOLDER_MISSING', `cannot clone into ${dbPath}: the folder ${folder} does not exist`, { data: { path: dbPath }, hint: 'create the folder first, or name a file in a folder that exists' });
  }
  const info = await remote.info();
  // A snapshot beyond the head (planted, or from a hub written before hubs refused them) would skip the log: never used.
  const head = await remote.head();
  const snap = await remote.latestSnapshot(head);
  if (snap === null) {
    throw new SqlferryError('HUB_EMPTY', `the hub at ${remote.url} is empty: nothing to clone yet`, {
      hint: 'push to it from an existing replica first (sqlferry remote add origin URL && sqlferry push)',
    });
  }
  removeLeftoversOf(dbPath);
  const tmp = tempPathFor(dbPath);
  let digests: TableDigests;
  // The snapshot's connection, kept open over the rename: its data_version then tells whether
  // another program wrote the new database before its fingerprint is taken (fingerprintClone).
  let made: DatabaseSync | undefined;
  let versionMade = 0;
  // The snapshot must hold what the log says the hub held at its seq (the genesis is checked by
  // entry 1's parent instead): a snapshot a client made is not trusted on its word.
  const atSnapshot = snap.seq === 0 ? undefined : (await remote.list(snap.seq - 1, 1))[0];
  if (snap.seq > 0 && atSnapshot?.seq !== snap.seq) {
    throw new SqlferryError('HUB_SNAPSHOT_ORPHANED', `the hub at ${remote.url} has a snapshot at entry ${snap.seq} but no entry ${snap.seq}; nothing was cloned`, {
      data: { url: remote.url, seq: snap.seq },
      exitCode: EXIT.corrupt,
      hint: 'the hub folder is damaged; restore it from a backup',
    });
  }
  try {
    const label = snap.seq === 0 ? "Downloading the hub's starting snapshot" : `Downloading the hub's snapshot at entry ${snap.seq}`;
    await tracked(opts.progress, label, snap.size, 'bytes', async (advance) => writeStreamDurably(tmp, counted(metered((await remote.readSnapshot(snap.seq)).body), advance)));
    made = openDatabase(tmp, { foreignKeys: false });
    dropSeqTable(made); // snapshots are sidecar snapshots: their bookkeeping table is not user data
    digests = digestsFromPages(made, tmp).digests; // its pages read: no one else has the file
    const table = atSnapshot?.digest === undefined ? undefined : claimMismatch(digests, atSnapshot.digest);
    if (table !== undefined) {
      throw new SqlferryError('HUB_SNAPSHOT_MISMATCH', `the hub's snapshot at ${snap.seq} does not hold what its log says (table "${table}"): it was altered or not made by sqlferry; nothing was cloned`, {
        data: { seq: snap.seq, table },
        exitCode: EXIT.corrupt,
        hint: 'tell whoever runs the hub; the snapshot file should be removed from it',
      });
    }
    versionMade = dataVersion(made);
    renameSync(tmp, dbPath);
  } catch (err) {
    made?.close();
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
  const sidecarExisted = existsSync(sidecarPaths(dbPath).dir);
  try {
    const replica = Replica.init(dbPath, { pageMap: false });
    writeConfig(replica.paths.config, { ...readConfig(replica.paths.config), format: info.kind, remotes: { [opts.remoteName ?? 'origin']: storedRemoteUrl(remote.url) } });
    if (snap.seq > 0) markSnapshots(replica, snap.seq);
    saveDigests(replica, snap.seq, digests);
    stampSidecar(replica.paths, false); // base.db as clone left it, checked against the hub's digest
    const tip = atSnapshot?.sha256 ?? snap.sha256;
    savePosition(replica, { hubId: info.hubId, hubSeq: snap.seq, hubTip: tip });
    fingerprintClone(replica, made, versionMade);
    // The genesis (snapshot 0) is held to the chain instead: entry 1 names its checksum as parent.
    const snapshotChecked = snap.seq === 0 || atSnapshot?.digest !== undefined;
    return { replica, snapshot: snap.seq, snapshotChecked, pull: await pull(replica, remote, opts) };
  } catch (err) {
    if (made.isOpen) made.close();
    // A clone that fails leaves nothing behind (it made these files), so running it again works.
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(dbPath + suffix, { force: true });
    if (!sidecarExisted) rmSync(sidecarPaths(dbPath).dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * The new database holds the snapshot, as base.db does: its fingerprint recorded, as a commit
 * that found nothing records it, so the clone's pull (and every sync after it) answers "nothing
 * changed" from a stat instead of reading every page and comparing every row (255 MB and most of
 * the clone's time at 2.5 M pages). Not when another program committed to it since the rename
 * (`made`'s data_version moved): the stat is taken first, so a write before it shows here, and a
 * write after it moves the timestamps past the stamp's clock (fingerprint.ts).
 */
function fingerprintClone(replica: Replica, made: DatabaseSync, versionMade: number): void {
  const stamp = takeStampPastTick(replica.paths);
  let unwritten: boolean;
  try {
    made.exec('BEGIN');
    made.prepare('SELECT count(*) FROM sqlite_schema').get(); // the read transaction starts here
    unwritten = dataVersion(made) === versionMade;
    made.exec('COMMIT');
  } finally {
    made.close();
  }
  if (unwritten) saveFingerprint(replica.paths, stamp, replica.lastSeq());
}

/** A clone from snapshot N: its log starts at N+1, so genesis, base and state say they reflect entry N. */
function markSnapshots(replica: Replica, seq: number): void {
  replica.writeState({ ...replica.state(), genesisSeq: seq });
  for (const path of [replica.paths.genesis, replica.paths.base]) {
    const db = openDatabase(path, { foreignKeys: false });
    try {
      markSeq(db, seq);
    } finally {
      db.close();
    }
  }
}
