// `verify`: every log file matches its checksum and chains to its parent, the databases
// pass PRAGMA integrity_check, and replaying the log onto the genesis snapshot gives
// exactly the base snapshot.
import { rmSync } from 'node:fs';
import type { DatabaseSync } from 'node:sqlite';
import { changesetToPatchset, detectKind } from '../changeset/index.ts';
import { SqlferryError } from '../errors/index.ts';
import { tempPathFor } from './atomic.ts';
import { applyEntries, catchUpBase } from './base.ts';
import { sha256Hex } from './log.ts';
import { withWorkingDiff } from './diff.ts';
import type { Replica } from './replica.ts';
import { snapshotInto } from './snapshot.ts';
import { isBusy, isDamaged, lockedError, openDatabase } from './sqlite.ts';

export interface VerifyReport {
  ok: boolean;
  entries: number;
  problems: string[];
}

export function verify(replica: Replica): VerifyReport {
  return replica.withLock(() => {
    const paths = replica.paths;
    const problems: string[] = [];
    const seqs = replica.seqs();
    let parents: string[] | null = null;
    // The log has no gaps after its start: commands find its end by name (log-end.ts).
    let expected = seqs[0] ?? 0;
    for (const seq of seqs) {
      if (seq > expected) {
        problems.push(seq - 1 === expected ? `log entry ${expected} is missing` : `log entries ${expected} to ${seq - 1} are missing`);
        parents = null;
      }
      expected = seq + 1;
      try {
        const { meta, bytes } = replica.entry(seq);
        if (meta.seq !== seq) problems.push(`log entry ${seq} says it is entry ${meta.seq}`);
        if (parents !== null && !parents.includes(meta.parent ?? '')) problems.push(`log entry ${seq} does not follow entry ${seq - 1} (parent checksum differs)`);
        parents = [meta.sha256];
        // On a patchset hub, a commit this replica pushed is known by its patchset's checksum.
        if (bytes.length > 0 && detectKind(bytes) === 'changeset') parents.push(sha256Hex(changesetToPatchset(bytes)));
      } catch (err) {
        problems.push(err instanceof SqlferryError ? err.message : String(err));
        parents = null;
      }
    }
    for (const [label, path] of [['the database', paths.db], ['the base snapshot', paths.base], ['the genesis snapshot', paths.genesis]] as const) {
      // Read-write, as any SQLite program opens it: a hot journal left by a killed writer must be
      // rolled back, which a read-only connection refuses to do.
      const db = openDatabase(path);
      try {
        const bad = integrityProblems(db);
        if (bad.length > 0) problems.push(`${label} fails PRAGMA integrity_check: ${bad.slice(0, 3).join('; ')}`);
      } catch (err) {
        // Another program's lock is DATABASE_LOCKED (exit 5), not a crash; a file SQLite
        // cannot read at all is a problem to report like any other.
        if (isBusy(err)) throw lockedError(path, err);
        if (!isDamaged(err)) throw err;
        problems.push(`${label} (${path}) cannot be read: ${(err as Error).message}`);
      } finally {
        db.close();
      }
    }
    if (problems.length === 0) replayMatchesBase(replica, problems);
    return { ok: problems.length === 0, entries: seqs.length, problems };
  });
}

function integrityProblems(db: DatabaseSync): string[] {
  const rows = db.prepare('PRAGMA integrity_check').all() as Array<{ integrity_check: string }>;
  return rows.map((r) => r.integrity_check).filter((m) => m !== 'ok');
}

function replayMatchesBase(replica: Replica, problems: string[]): void {
  const paths = replica.paths;
  catchUpBase(paths); // behind the log after a pull: a normal state, not a problem
  const replay = tempPathFor(paths.base);
  const genesis = openDatabase(paths.genesis, { readOnly: true });
  try {
    snapshotInto(genesis, paths.genesis, replay, (db) => {
      applyEntries(db, replay, paths, replica.lastSeq());
    });
    withWorkingDiff(replay, paths.base, (diff) => {
      if (diff.baseSeq !== replica.lastSeq()) problems.push(`the base snapshot is at commit ${diff.baseSeq}, the log ends at ${replica.lastSeq()}`);
      if (diff.schema.statements.length > 0) problems.push(`replaying the log gives a different schema than the base snapshot: ${diff.schema.statements[0]}`);
      for (const change of diff.changes()) {
        problems.push(`replaying the log gives a different database than the base snapshot (first difference: ${change.op} in table "${change.table.name}")`);
        break;
      }
    });
  } finally {
    genesis.close();
    rmSync(replay, { force: true });
  }
}
