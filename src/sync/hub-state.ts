// Where this replica stands against its hub: state.json's hubId, hubSeq and hubTip (the sha256
// of the last hub entry it has, or of the genesis snapshot). Also what a push interrupted
// after its append but before its state write left: hub entries that are this replica's own.
import { SqlferryError, EXIT } from '../errors/index.ts';
import type { HubInfo, Remote } from '../hub/remote.ts';
import { sha256 } from '../hub/checksum.ts';
import { fileChecksum, streamed } from '../shared/pieces.ts';
import { entryPaths } from '../repo/sidecar.ts';
import type { Replica } from '../repo/replica.ts';
import { hubBytes } from './hub-bytes.ts';
import { patchsetFileChecksums } from '../repo/log/entry-patchset.ts';

export interface HubPosition {
  hubId: string | null;
  hubSeq: number;
  /** null until the replica has met its hub (first push or clone). */
  hubTip: string | null;
}

export function positionOf(replica: Replica): HubPosition {
  const state = replica.state();
  return { hubId: state.hubId, hubSeq: state.hubSeq, hubTip: state.hubTip ?? null };
}

export function savePosition(replica: Replica, pos: { hubId: string; hubSeq: number; hubTip: string }): void {
  replica.writeState({ ...replica.state(), ...pos });
}

/** The genesis snapshot's sha256, read a piece at a time (a database may be larger than a Buffer can hold). */
export function genesisSha(replica: Replica): string {
  return fileChecksum(replica.paths.genesis).sha256;
}

/** The hub's info and its head: one round trip where the transport offers it (`Remote.infoAndHead`), two where not. */
export async function infoAndHead(remote: Remote): Promise<{ info: HubInfo; head: number }> {
  if (remote.infoAndHead) return remote.infoAndHead();
  return { info: await remote.info(), head: await remote.head() };
}

/**
 * Where to continue from. A replica that never met a hub may meet an empty one (its first
 * push uploads its genesis), or one whose genesis is its own (a first push that was cut
 * short). Anything else is another history: clone instead, or, for an empty hub, push to start
 * it (start-hub.ts, which push calls first).
 */
export async function meetHub(replica: Replica, remote: Remote, info: HubInfo): Promise<HubPosition> {
  let pos = positionOf(replica);
  if (pos.hubId === null) {
    const genesis = await remote.latestSnapshot(0);
    if (genesis === null) {
      if ((await remote.head()) > 0) throw unrelatedHub(remote.url);
      return pos;
    }
    const mine = genesisSha(replica);
    if (genesis.sha256 !== mine) throw unrelatedHub(remote.url);
    pos = { hubId: info.hubId, hubSeq: 0, hubTip: mine };
    savePosition(replica, { hubId: info.hubId, hubSeq: 0, hubTip: mine });
  }
  if (pos.hubId !== info.hubId || pos.hubTip === null) {
    if (await isEmptyHub(remote)) throw emptyHubForAnother(remote.url);
    throw unrelatedHub(remote.url);
  }
  return adoptOwnEntries(replica, remote, info, pos);
}

export async function isEmptyHub(remote: Remote): Promise<boolean> {
  return (await remote.head()) === 0 && (await remote.latestSnapshot(0)) === null;
}

/**
 * An empty hub, and a replica whose history belongs to another hub: only a push starts it
 * (start-hub.ts); a pull has nothing to take from it.
 */
function emptyHubForAnother(url: string): SqlferryError {
  return new SqlferryError('HUB_UNRELATED', `the hub at ${url} is empty, and this replica's history belongs to another hub`, {
    data: { url, empty: true },
    exitCode: EXIT.rejected,
    hint: 'to start that hub from this replica\'s content, push to it (sqlferry push REMOTE); this replica then follows it',
  });
}

/** Hub entries that are byte for byte this replica's next local entries were pushed by it: take them as pushed. */
async function adoptOwnEntries(replica: Replica, remote: Remote, info: HubInfo, pos: HubPosition): Promise<HubPosition> {
  const local = replica.seqsAfter(pos.hubSeq);
  if (local.length === 0) return pos;
  const hub = await remote.list(pos.hubSeq, local.length);
  let { hubSeq, hubTip } = pos;
  for (const meta of hub) {
    if (meta.replica !== replica.replicaId || meta.sha256 !== hubSha(replica, meta.seq, info.kind)) break;
    hubSeq = meta.seq;
    hubTip = meta.sha256;
  }
  if (hubSeq === pos.hubSeq) return pos;
  savePosition(replica, { hubId: info.hubId, hubSeq, hubTip: hubTip! });
  return { hubId: info.hubId, hubSeq, hubTip };
}

/**
 * The sha256 local entry `seq` has on a hub of `kind`: a changeset hub stores the log's bytes as
 * they are, so their recorded checksum, without reading them; a large one converted a piece at a time.
 */
function hubSha(replica: Replica, seq: number, kind: HubInfo['kind']): string {
  if (kind === 'changeset') return replica.meta(seq).sha256;
  if (streamed(replica.meta(seq).size)) return patchsetFileChecksums(entryPaths(replica.paths, seq).bytes).patchset.sha256;
  return sha256(hubBytes(replica.entry(seq).bytes, kind));
}

export function unrelatedHub(url: string): SqlferryError {
  return new SqlferryError('HUB_UNRELATED', `this replica's history is unrelated to the hub at ${url}`, {
    data: { url },
    exitCode: EXIT.rejected,
    hint: `clone the hub instead: sqlferry clone ${url} NEW.db`,
  });
}
