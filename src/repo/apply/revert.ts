// `revert N`: a new commit that undoes commit N — its inverse, applied to the live database
// and the base. Both must take it cleanly: when a later commit (or an uncommitted edit)
// changed the same rows, nothing is changed and the user is told. Entry N is read, inverted
// and written to the new entry's file a piece at a time, and that file is applied in pieces
// (apply-pieces.ts): no step holds an entry whole, whatever its size.
import { invertChange, writeChunks, type Change } from '../../changeset/index.ts';
import { SqlferryError } from '../../errors/index.ts';
import { pieceBytes } from '../../shared/pieces.ts';
import { withApplyTransaction } from './apply.ts';
import { applyCheckedFile } from './apply-pieces.ts';
import { openBase } from '../base/base.ts';
import { appendEntryFile } from '../capture/commit.ts';
import { EntryFile } from '../capture/entry-file.ts';
import { forgetFingerprint } from '../pages/fingerprint.ts';
import type { LogEntryMeta } from '../log/log.ts';
import type { Replica } from '../replica.ts';
import { markSeq } from '../base/snapshot.ts';
import { entryPaths } from '../sidecar.ts';
import { openDatabase } from '../sqlite.ts';

export function revert(replica: Replica, seq: number, message?: string): LogEntryMeta {
  return replica.withLock(() => {
    const paths = replica.paths;
    const target = replica.entryChanges(seq);
    if (target.meta.schema.length > 0) {
      throw new SqlferryError('REVERT_SCHEMA', `commit ${seq} changed the schema, which revert cannot undo; nothing was changed`, {
        data: { seq },
        hint: 'undo the schema change by hand (e.g. DROP the new table), then sqlferry commit',
      });
    }
    if (target.meta.kind === 'patchset') {
      throw new SqlferryError('PATCHSET_NOT_INVERTIBLE', 'a patchset cannot be inverted: it does not record the old values of deleted and updated rows', {
        hint: 'capture changesets rather than patchsets for anything that may need undoing',
      });
    }
    const conflict = (where: string) => (err: unknown) =>
      err instanceof SqlferryError && err.code === 'APPLY_CONFLICT'
        ? new SqlferryError('REVERT_CONFLICT', `cannot revert commit ${seq}: rows it changed were changed again ${where}; nothing was changed`, {
            data: { seq },
            hint: where === 'later' ? 'revert the later commits that touch the same rows first (newest first)' : 'commit or undo your uncommitted changes first',
            cause: err,
          })
        : err;
    // The inverse is the new entry's bytes: written beside it first, published once both databases took it.
    const inverse = new EntryFile(entryPaths(paths, replica.lastSeq() + 1).bytes);
    const live = openDatabase(paths.db, { foreignKeys: false });
    const base = openBase(paths);
    try {
      for (const chunk of writeChunks('changeset', inverted(target.changes()), pieceBytes())) inverse.append(chunk);
      return withApplyTransaction(base, paths.base, () => {
        rethrowAs(conflict('later'), () => applyCheckedFile(base, inverse.path, 'changeset'));
        withApplyTransaction(live, paths.db, () => rethrowAs(conflict('since the last commit'), () => applyCheckedFile(live, inverse.path, 'changeset')), { foreignKeyCheck: true });
        forgetFingerprint(paths);
        const meta = appendEntryFile(replica, inverse, [], message ?? `Revert commit ${seq}${target.meta.message ? `: ${target.meta.message}` : ''}`);
        markSeq(base, meta.seq);
        return meta;
      });
    } finally {
      inverse.discard(); // after publish, nothing left to drop
      base.close();
      live.close();
    }
  });
}

function* inverted(changes: Iterable<Change>): Generator<Change> {
  for (const change of changes) yield invertChange(change);
}

function rethrowAs(map: (err: unknown) => unknown, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    throw map(err);
  }
}
