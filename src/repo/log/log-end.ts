// Where a replica's history starts and ends. A replica made by `init` starts at 0; one cloned
// from a hub snapshot taken at entry N starts at N (its genesis is that snapshot), so with no
// entries after it its log ends at N, not at 0. The log has no gaps after its start (entries
// are added in order and removed only from the end), so its end is found by probing entry
// names, never by listing the folder: it grows by two files per commit or pulled entry for
// ever, and a sync asked for the end several times.
import { existsSync } from 'node:fs';
import { readState } from '../config.ts';
import { entryPaths, type SidecarPaths } from '../sidecar.ts';
import { lastPresentSync } from '../../shared/last-present.ts';
import { range } from '../../shared/in-window.ts';

export function genesisSeq(paths: SidecarPaths): number {
  const { genesisSeq } = readState(paths.state);
  return genesisSeq ?? 0;
}

export function logEnd(paths: SidecarPaths): number {
  // From the hub position when its entry is here: a known entry, and usually the end. Else from
  // the genesis (a pull before this version dropped genesisSeq from state.json, but it also set
  // hubSeq to an entry it wrote).
  const { hubSeq } = readState(paths.state);
  const start = hubSeq > 0 && hasEntry(paths, hubSeq) ? hubSeq : genesisSeq(paths);
  return lastPresentSync(start, (seq) => hasEntry(paths, seq));
}

/** Entries after `after`, ascending: those up to the log's end. */
export function seqsAfter(paths: SidecarPaths, after: number): number[] {
  const end = logEnd(paths);
  const from = Math.max(after, genesisSeq(paths)) + 1;
  return range(from, end);
}

export function hasEntry(paths: SidecarPaths, seq: number): boolean {
  return existsSync(entryPaths(paths, seq).meta);
}
