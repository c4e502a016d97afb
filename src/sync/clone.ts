// `clone`: a new replica from a hub — its latest snapshot (the genesis at least), then the
// entries after it. The database file appears only once its snapshot is complete and verified.
import { existsSync, renameSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SqlferryError } from '../errors/index.ts';
import type { Remote } from '../hub/remote.ts';
import { tempPathFor } from '../repo/atomic.ts';
import { readConfig, writeConfig } from '../repo/config.ts';
import { Replica } from '../repo/replica.ts';
import { sidecarPaths } from '../repo/sidecar.ts';
import { dropSeqTable, markSeq } from '../repo/snapshot.ts';
import { openDatabase } from '../repo/sqlite.ts';
import { writeStreamDurably } from './write-stream.ts';
import { pull, type PullOptions, type PullResult } from './pull.ts';
import { savePosition } from './hub-state.ts';
import { storedRemoteUrl } from './remotes.ts';
import { counted, tracked } from './progress.ts';

export async function clone(remote: Remote, dbPath: string, opts: PullOptions & { remoteName?: string }): Promise<{ replica: Replica; snapshot: number; pull: PullResult }> {
  if (existsSync(dbPath)) {
    throw new SqlferryError('CLONE_TARGET_EXISTS', `${dbPath} already exists; clone makes a new database`, { hint: 'name a new file' });
  }
  const folder = dirname(resolve(dbPath));
  if (!existsSync(folder)) {
    throw new SqlferryError('CLONE_FOLDER_MISSING', `cannot clone into ${dbPath}: the folder ${folder} does not exist`, { data: { path: dbPath }, hint: 'create the folder first, or name a file in a folder that exists' });
  }
  const info = await remote.info();
  const snap = await remote.latestSnapshot();
  if (snap === null) {
    throw new SqlferryError('HUB_EMPTY', `the hub at ${remote.url} is empty: nothing to clone yet`, {
      hint: 'push to it from an existing replica first (sqlferry remote add origin URL && sqlferry push)',
    });
  }
  const tmp = tempPathFor(dbPath);
  try {
    const label = snap.seq === 0 ? "Downloading the hub's starting snapshot" : `Downloading the hub's snapshot at entry ${snap.seq}`;
    await tracked(opts.progress, label, snap.size, 'bytes', async (advance) => writeStreamDurably(tmp, counted((await remote.readSnapshot(snap.seq)).body, advance)));
    const db = openDatabase(tmp, { foreignKeys: false });
    try {
      dropSeqTable(db); // snapshots are sidecar snapshots: their bookkeeping table is not user data
    } finally {
      db.close();
    }
    renameSync(tmp, dbPath);
  } finally {
    rmSync(tmp, { force: true });
  }
  const sidecarExisted = existsSync(sidecarPaths(dbPath).dir);
  try {
    const replica = Replica.init(dbPath);
    writeConfig(replica.paths.config, { ...readConfig(replica.paths.config), format: info.kind, remotes: { [opts.remoteName ?? 'origin']: storedRemoteUrl(remote.url) } });
    if (snap.seq > 0) markSnapshots(replica, snap.seq);
    const tip = snap.seq === 0 ? snap.sha256 : (await remote.list(snap.seq - 1, 1))[0]!.sha256;
    savePosition(replica, { hubId: info.hubId, hubSeq: snap.seq, hubTip: tip });
    return { replica, snapshot: snap.seq, pull: await pull(replica, remote, opts) };
  } catch (err) {
    // A clone that fails leaves nothing behind (it made these files), so running it again works.
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(dbPath + suffix, { force: true });
    if (!sidecarExisted) rmSync(sidecarPaths(dbPath).dir, { recursive: true, force: true });
    throw err;
  }
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
