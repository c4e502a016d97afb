// `apply FILE`: a changeset or patchset from elsewhere (another tool, `sqldiff --changeset`,
// an old export) applied to the live database and committed as exactly what it changed.
// Triggers and foreign-key actions are suspended (their effects, if any, are in the file);
// a conflict applies nothing. The commit itself is exec's (commit-live.ts).
import { changedTables } from '../../changeset/index.ts';
import { SqlferryError } from '../../errors/index.ts';
import { applyChecked, refuseDanglingReferences } from './apply.ts';
import { openBase } from '../base/base.ts';
import { commitLiveChanges } from './commit-live.ts';
import { ChangeRecorder } from './recorder.ts';
import type { LogEntryMeta } from '../log/log.ts';
import type { Replica } from '../replica.ts';
import { beginImmediate, openDatabase, rollbackQuietly } from '../sqlite.ts';

export function applyFile(replica: Replica, bytes: Uint8Array, message: string): LogEntryMeta | null {
  return replica.withLock(() => {
    const paths = replica.paths;
    const live = openDatabase(paths.db, { foreignKeys: false });
    const base = openBase(paths);
    try {
      beginImmediate(live, paths.db);
      try {
        const touched = new Set(changedTables(bytes).map((t) => t.name.toLowerCase()));
        const session = new ChangeRecorder(live, (t) => touched.has(t.name.toLowerCase()));
        try {
          applyChecked(live, bytes);
        } catch (err) {
          if ((err as SqlferryError).code !== 'APPLY_CONFLICT') throw err;
          throw new SqlferryError('APPLY_CONFLICT', 'the file does not apply to this database: a row it changes is missing, different, or already there; nothing was changed', {
            hint: 'sqlferry changeset sql FILE shows what it expects; was it made from this database?',
            cause: err,
          });
        }
        refuseDanglingReferences(live);
        const applied = session.changeset();
        session.close();
        if (applied.byteLength === 0) return null;
        return commitLiveChanges(replica, live, base, applied, message, 'the file');
      } finally {
        rollbackQuietly(live);
      }
    } finally {
      base.close();
      live.close();
    }
  });
}
