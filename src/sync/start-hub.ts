// A replica of one hub starting another, empty one (`push` to it): its current content, as of
// its last commit, becomes the new hub's starting snapshot, and the replica follows the new hub
// from then on, its commits numbered from 1 again. Its history with the old hub stays in its
// sidecar (src/repo/log/restart-history.ts). The snapshot is uploaded before anything local
// changes: a replica that loses the race for the empty hub is left as it was.
import type { SqlferryError } from '../errors/index.ts';
import type { HubInfo, Remote } from '../hub/remote.ts';
import { digestsAt, saveDigests } from '../repo/digest-state.ts';
import type { Replica } from '../repo/replica.ts';
import { abandonRestart, prepareRestart, restartHistory } from '../repo/log/restart-history.ts';
import { refuseIfDamaged } from './content-claims.ts';
import { unrelatedHub } from './hub-state.ts';
import { uploadSnapshotFile } from './hub-snapshot.ts';
import { isEmptyHub, positionOf } from './hub-state.ts';
import type { Progress } from './progress.ts';

export interface HubStart {
  /** The hub id this replica followed before. */
  previousHub: string;
  /** The commit whose content became the new hub's start (the old log's end). */
  fromSeq: number;
  /** Where the old genesis, log and state are kept. */
  archive: string;
  /** Bytes of the starting snapshot uploaded. */
  size: number;
}

/** Start `remote` from this replica when it is empty and this replica's history is another hub's; else null. Holding the lock. */
export async function startAnotherHub(replica: Replica, remote: Remote, info: HubInfo, progress: Progress | undefined): Promise<HubStart | null> {
  const previousHub = positionOf(replica).hubId;
  if (previousHub === null || previousHub === info.hubId || !(await isEmptyHub(remote))) return null;
  refuseIfDamaged(replica);
  const fromSeq = replica.lastSeq();
  const digests = digestsAt(replica, fromSeq);
  prepareRestart(replica.paths);
  let size: number;
  let hubTip: string;
  try {
    ({ sha256: hubTip, size } = await uploadSnapshotFile(remote, replica.paths.nextGenesis, 0, replica.replicaId, progress, 'Uploading the starting snapshot'));
  } catch (err) {
    abandonRestart(replica.paths);
    // Another replica started that hub first.
    if ((err as SqlferryError).code === 'HUB_SNAPSHOT_EXISTS') throw unrelatedHub(remote.url);
    throw err;
  }
  const archive = restartHistory(replica.paths, { hubId: info.hubId, hubSeq: 0, hubTip });
  saveDigests(replica, 0, digests);
  return { previousHub, fromSeq, archive, size };
}
