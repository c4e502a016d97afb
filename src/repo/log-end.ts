// Where a replica's history starts and ends. A replica made by `init` starts at 0; one cloned
// from a hub snapshot taken at entry N starts at N (its genesis is that snapshot), so with no
// entries after it its log ends at N, not at 0.
import { readState } from './config.ts';
import { listSeqs } from './log.ts';
import type { SidecarPaths } from './sidecar.ts';

export function genesisSeq(paths: SidecarPaths): number {
  const { genesisSeq } = readState(paths.state);
  return typeof genesisSeq === 'number' ? genesisSeq : 0;
}

export function logEnd(paths: SidecarPaths): number {
  return listSeqs(paths).at(-1) ?? genesisSeq(paths);
}
