// `revert N`: a new commit that undoes commit N — its inverse, applied to the live database
// and the base. Both must take it cleanly: when a later commit (or an uncommitted edit)
// changed the same rows, nothing is changed and the user is told.
import { invertChangeset } from '../../changeset/index.ts';
import { SqlferryError } from '../../errors/index.ts';
import { applyChecked, withApplyTransaction } from './apply.ts';
import { openBase } from '../base/base.ts';
import { appendEntry } from '../capture/commit.ts';
import { forgetFingerprint } from '../pages/fingerprint.ts';
import type { LogEntryMeta } from '../log/log.ts';
import type { Replica } from '../replica.ts';
import { markSeq } from '../base/snapshot.ts';
import { openDatabase } from '../sqlite.ts';

export function revert(replica: Replica, seq: number, message?: string): LogEntryMeta {
  return replica.withLock(() => {
    const paths = replica.paths;
    const target = replica.entry(seq);
    if (target.meta.schema.length > 0) {
      throw new SqlferryError('REVERT_SCHEMA', `commit ${seq} changed the schema, which revert cannot undo; nothing was changed`, {
        data: { seq },
        hint: 'undo the schema change by hand (e.g. DROP the new table), then sqlferry commit',
      });
    }
    const inverse = invertChangeset(target.bytes);
    const conflict = (where: string) => (err: unknown) =>
      err instanceof SqlferryError && err.code === 'APPLY_CONFLICT'
        ? new SqlferryError('REVERT_CONFLICT', `cannot revert commit ${seq}: rows it changed were changed again ${where}; nothing was changed`, {
            data: { seq },
            hint: where === 'later' ? 'revert the later commits that touch the same rows first (newest first)' : 'commit or undo your uncommitted changes first',
            cause: err,
          })
        : err;
    const live = openDatabase(paths.db, { foreignKeys: false });
    const base = openBase(paths);
    try {
      return withApplyTransaction(base, paths.base, () => {
        rethrowAs(conflict('later'), () => applyChecked(base, inverse));
        withApplyTransaction(live, paths.db, () => rethrowAs(conflict('since the last commit'), () => applyChecked(live, inverse)), { foreignKeyCheck: true });
        forgetFingerprint(paths);
        const meta = appendEntry(replica, inverse, [], message ?? `Revert commit ${seq}${target.meta.message ? `: ${target.meta.message}` : ''}`);
        markSeq(base, meta.seq);
        return meta;
      });
    } finally {
      base.close();
      live.close();
    }
  });
}

function rethrowAs(map: (err: unknown) => unknown, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    throw map(err);
  }
}
