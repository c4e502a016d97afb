// `status`: what changed since the last commit, counted per table, plus schema statements
// and the tables sqlferry cannot track (and why); and where the replica stood against its hub
// at its last pull or push (status never asks the hub). With nothing changed since the last
// capture the fingerprint answers (diff.ts); a clean comparison records one, as commit does.
import { SqlferryError } from '../../errors/index.ts';
import { withUncommittedDiff } from './diff.ts';
import { saveFingerprint, takeStamp } from '../pages/fingerprint.ts';
import { rememberPages } from '../pages/page-scope.ts';
import { countNullKeys, type NullKeyRows } from './null-keys.ts';
import type { Replica } from '../replica.ts';

export interface TableCounts {
  table: string;
  inserted: number;
  updated: number;
  deleted: number;
}

export interface Status {
  db: string;
  /** The commit the base snapshot reflects. */
  commit: number;
  clean: boolean;
  schema: string[];
  tables: TableCounts[];
  untracked: Array<{ table: string; reason: string }>;
  /** Tables with rows that have a NULL in a key column: never captured, never synced. */
  nullKeys: NullKeyRows[];
  /** Null until the replica first pulls or pushes. seq: the hub's head then; unpushed: local commits after it. */
  hub: { seq: number; unpushed: number } | null;
  /** A schema change commit cannot record (a dropped column…): what it is and what to do; rows are not counted then. */
  blocked: { reason: string; hint: string } | null;
}

export function status(replica: Replica, opts: { explain?: (line: string) => void } = {}): Status {
  return replica.withLock(() => {
    try {
      return counted(replica, opts.explain);
    } catch (err) {
      if (!(err instanceof SqlferryError) || err.code !== 'SCHEMA_CHANGE_UNSUPPORTED') throw err;
      return {
        db: replica.paths.db, commit: replica.lastSeq(), clean: false, schema: [], tables: [], untracked: [], nullKeys: [], hub: hubPosition(replica),
        blocked: { reason: String(err.data.what), hint: err.hint ?? '' },
      };
    }
  });
}

function counted(replica: Replica, explain?: (line: string) => void): Status {
  const stamp = takeStamp(replica.paths); // before the read transaction, as commit takes it
  const result = withUncommittedDiff(replica.paths, (diff): Status => {
    const byTable = new Map<string, TableCounts>();
    for (const change of diff.changes()) {
      let counts = byTable.get(change.table.name);
      if (counts === undefined) {
        counts = { table: change.table.name, inserted: 0, updated: 0, deleted: 0 };
        byTable.set(change.table.name, counts);
      }
      if (change.op === 'INSERT') counts.inserted++;
      else if (change.op === 'UPDATE') counts.updated++;
      else counts.deleted++;
    }
    const tables = [...byTable.values()];
    explain?.(diff.compared.why);
    const clean = tables.length === 0 && diff.schema.statements.length === 0;
    if (clean) rememberPages(replica.paths, diff.pageMap(), diff.baseSeq);
    return {
      db: replica.paths.db,
      commit: diff.baseSeq,
      clean,
      schema: diff.schema.statements,
      tables,
      untracked: diff.untracked.map((t) => ({ table: t.name, reason: t.untracked! })),
      nullKeys: countNullKeys(diff.db, diff.live),
      hub: hubPosition(replica),
      blocked: null,
    };
  });
  if (result.clean) saveFingerprint(replica.paths, stamp, result.commit);
  return result;
}

function hubPosition(replica: Replica): Status['hub'] {
  const { hubId, hubSeq } = replica.state();
  return hubId === null ? null : { seq: hubSeq, unpushed: replica.seqsAfter(hubSeq).length };
}
