// A log entry read a piece at a time (src/shared/pieces.ts), for the commands that show, count,
// export or revert an entry: none holds it whole, so an entry of any size (a bulk load of
// gigabytes) costs a piece of memory. Its checksum is checked as it is read, and a mismatch
// thrown once the last byte is read: before a count is printed, an export file put in place or
// an inverse applied. Output printed as it is read needs the check first (`check`).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { ChangesetFormatError } from '../../errors/index.ts';
import { changesOfPieces } from '../../changeset/piece-changes.ts';
import type { Change } from '../../changeset/types.ts';
import { fileChunks } from '../../shared/pieces.ts';
import { piecesOf } from '../apply/apply-pieces.ts';
import { entryPaths, type SidecarPaths } from '../sidecar.ts';
import { checkEntryFile, logCorrupt, readMeta, type LogEntryMeta } from './log.ts';

export interface EntryChanges {
  meta: LogEntryMeta;
  /** The entry's bytes, in chunks of their own. */
  chunks(): Generator<Uint8Array>;
  /** Its changes, as iterateChanges gives them for the whole file. */
  changes(): Generator<Change>;
  /** Checks the whole file against its checksum now, before anything is read. */
  check(): void;
}

export function entryChanges(paths: SidecarPaths, seq: number): EntryChanges {
  const meta = readMeta(paths, seq);
  const file = entryPaths(paths, seq).bytes;
  if (!existsSync(file)) throw logCorrupt(seq, file);
  const chunks = () => checkedChunks(file, meta);
  return {
    meta,
    chunks,
    changes: () => changesChecked(paths, seq, changesOfPieces(piecesOf(chunks(), meta.kind))),
    check: () => void checkEntryFile(paths, seq),
  };
}

/** A damaged entry is reported as damaged, not as the malformed record its damage made. */
function* changesChecked(paths: SidecarPaths, seq: number, changes: Generator<Change>): Generator<Change> {
  try {
    yield* changes;
  } catch (err) {
    if (err instanceof ChangesetFormatError) checkEntryFile(paths, seq);
    throw err;
  }
}

function* checkedChunks(file: string, meta: LogEntryMeta): Generator<Uint8Array> {
  const hash = createHash('sha256');
  let size = 0;
  for (const chunk of fileChunks(file)) {
    hash.update(chunk);
    size += chunk.byteLength;
    if (size > meta.size) break;
    yield chunk;
  }
  if (size !== meta.size || hash.digest('hex') !== meta.sha256) throw logCorrupt(meta.seq, file);
}
