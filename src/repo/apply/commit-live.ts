// The tail that `exec` and `apply` share: the live transaction holds exactly `bytes` of
// changes (recorded by a session); advance base.db by them, then COMMIT the live database,
// write the log entry, and COMMIT base.db — in that order, so a crash after the live COMMIT
// leaves at worst an ordinary uncommitted change, and one after the log entry is finished
// by the roll-forward.
import type { DatabaseSync } from 'node:sqlite';
import { SqlferryError } from '../../errors/index.ts';
import { applyChecked, withApplyTransaction } from './apply.ts';
import { appendEntry } from '../capture/commit.ts';
import { forgetFingerprint } from '../pages/fingerprint.ts';
import type { LogEntryMeta } from '../log/log.ts';
import type { Replica } from '../replica.ts';
import { markSeq } from '../base/snapshot.ts';
import { withSqliteErrors } from '../sqlite.ts';

export function commitLiveChanges(replica: Replica, live: DatabaseSync, base: DatabaseSync, bytes: Uint8Array, message: string, what: string): LogEntryMeta {
  const paths = replica.paths;
  return withApplyTransaction(base, paths.base, () => {
    try {
      applyChecked(base, bytes);
    } catch (err) {
      // base.db differs from the live rows only where there are uncommitted changes.
      throw new SqlferryError('CHANGES_OVER_UNCOMMITTED', `${what} changed rows that have uncommitted changes; nothing was changed`, {
        hint: 'run sqlferry commit first, then try again',
        cause: err,
      });
    }
    withSqliteErrors(paths.db, () => live.exec('COMMIT'));
    forgetFingerprint(paths);
    const meta = appendEntry(replica, bytes, [], message);
    markSeq(base, meta.seq);
    return meta;
  });
}
