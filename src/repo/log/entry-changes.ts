// A log entry's changes read a piece at a time (src/shared/pieces.ts), for the commands that show,
// count, export or revert an entry: none holds it whole, so an entry of any size (a bulk load of
// gigabytes) costs a piece of memory. The file is checked against its checksum first, a piece at
// a time, so that nothing of a damaged entry is printed or applied.
import { changesOfPieces } from '../../changeset/piece-changes.ts';
import type { Change } from '../../changeset/types.ts';
import { piecesOfFile } from '../apply/apply-pieces.ts';
import { entryPaths, type SidecarPaths } from '../sidecar.ts';
import { checkEntryFile, type LogEntryMeta } from './log.ts';

export interface EntryChanges {
  meta: LogEntryMeta;
  /** The file holding the entry's bytes (read once more by each call of `changes`). */
  file: string;
  /** Its changes, as iterateChanges gives them for the whole file. */
  changes(): Generator<Change>;
}

export function entryChanges(paths: SidecarPaths, seq: number): EntryChanges {
  const meta = checkEntryFile(paths, seq);
  const file = entryPaths(paths, seq).bytes;
  return { meta, file, changes: () => changesOfPieces(piecesOfFile(file, meta.kind)) };
}
