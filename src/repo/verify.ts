// `verify`: every log file matches its checksum and chains to its parent, the databases
// pass PRAGMA integrity_check, and the base snapshot holds exactly what the genesis plus the
// log add up to (by content digest, checked against what each pulled entry claimed).
import { DatabaseSync } from 'node:sqlite';
import { changesetToPatchset, detectKind } from '../changeset/index.ts';
import { addChangesetDelta, digestClaims, entryDelta, lanesRecord, type TableDigests } from '../changeset/digest.ts';
import { SqlferryError } from '../errors/index.ts';
import { rmSync } from 'node:fs';
import { readCache, tempPathFor } from './atomic.ts';
import { withWorkingDiff } from './capture/diff.ts';
import { snapshotInto } from './base/snapshot.ts';
import { applyEntries, catchUpBase } from './base/base.ts';
import { digestsFromPages } from './digest-pages.ts';
import { advanceDigests, claimMismatch, rescanInto, scanAt } from './digest-state.ts';
import { sha256 } from '../hub/checksum.ts';
import type { Replica } from './replica.ts';
import { checkEntryFile, type LogEntryMeta } from './log/log.ts';
import { patchsetFileChecksums } from './log/entry-patchset.ts';
import { filePieces } from './apply/apply-pieces.ts';
import { entryPaths } from './sidecar.ts';
import { streamed } from '../shared/pieces.ts';
import { readSchema, type Schema } from './schema/schema-read.ts';
import { runSchemaStatements } from './schema/schema-guard.ts';
import { readSeq } from './base/snapshot.ts';
import { clearSuspicion } from './sidecar-stamp.ts';
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
    let parent: Names | null = null; // what the entry before may be named by
    // The log has no gaps after its start: commands find its end by name (log-end.ts).
    let expected = seqs[0] ?? 0;
    for (const seq of seqs) {
      if (seq > expected) {
        problems.push(seq - 1 === expected ? `log entry ${expected} is missing` : `log entries ${expected} to ${seq - 1} are missing`);
        parent = null;
      }
      expected = seq + 1;
      try {
        const { meta, names } = checkedEntry(replica, seq);
        if (meta.seq !== seq) problems.push(`log entry ${seq} says it is entry ${meta.seq}`);
        if (parent !== null && meta.parent !== parent.sha256 && !parent.others().includes(meta.parent ?? '')) problems.push(`log entry ${seq} does not follow entry ${seq - 1} (parent checksum differs)`);
        parent = names;
      } catch (err) {
        problems.push(err instanceof SqlferryError ? err.message : String(err));
        parent = null;
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
    if (problems.length === 0) contentMatchesLog(replica, problems);
    if (problems.length === 0) clearSuspicion(paths);
    return { ok: problems.length === 0, entries: seqs.length, problems };
  });
}

/** The checksums the next entry may name as its parent: the entry's own, or (asked only when that one differs) others. */
interface Names {
  sha256: string;
  others: () => string[];
}

/**
 * Log entry `seq` checked against its checksum, and its names: on a patchset hub a commit this
 * replica pushed is known by its patchset's checksum. A large entry is checked a piece at a time.
 */
function checkedEntry(replica: Replica, seq: number): { meta: LogEntryMeta; names: Names } {
  if (streamed(replica.meta(seq).size)) {
    const meta = checkEntryFile(replica.paths, seq);
    return { meta, names: { sha256: meta.sha256, others: () => [patchsetFileChecksums(entryPaths(replica.paths, seq).bytes).patchset.sha256] } };
  }
  const { meta, bytes } = replica.entry(seq);
  return { meta, names: { sha256: meta.sha256, others: () => patchsetName(bytes) } };
}

function patchsetName(bytes: Uint8Array): string[] {
  return bytes.length > 0 && detectKind(bytes) === 'changeset' ? [sha256(changesetToPatchset(bytes))] : [];
}

function integrityProblems(db: DatabaseSync): string[] {
  const rows = db.prepare('PRAGMA integrity_check').all() as Array<{ integrity_check: string }>;
  return rows.map((r) => r.integrity_check).filter((m) => m !== 'ok');
}

/**
 * The base snapshot against the log, by content digest rather than by replaying the log into
 * a copy: the genesis scanned once, each entry's change counted from its bytes (and checked
 * against the digest a pulled entry claimed), the sum compared with one scan of base.db. The
 * schema is replayed on an empty database, which costs nothing per row.
 */
function contentMatchesLog(replica: Replica, problems: string[]): void {
  const paths = replica.paths;
  catchUpBase(paths); // behind the log after a pull: a normal state, not a problem
  const genesis = openDatabase(paths.genesis, { readOnly: true });
  let digests;
  let start;
  try {
    start = readSeq(genesis, paths.genesis); // where the log starts (state.json may have lost it)
    digests = digestsFromPages(genesis, paths.genesis).digests; // read from its pages: the lock keeps writers off
  } finally {
    genesis.close();
  }
  const schema = new DatabaseSync(':memory:');
  try {
    copySchema(paths.genesis, schema);
    for (const seq of replica.seqsAfter(start)) {
      const meta = replica.meta(seq);
      runSchemaStatements(schema, meta.schema, `log entry ${seq}`);
      const delta = deltaOf(replica, seq, meta);
      if (delta === undefined) return replayMatchesBase(replica, problems); // a patchset lacks the old values
      if (meta.digestChange !== undefined && !sameCounts(meta.digestChange, lanesRecord(delta))) {
        problems.push(`log entry ${seq}'s own count of its digest change ("digestChange" in its .json) differs from its bytes' (a push would claim a wrong digest): remove that field, push counts it again`);
      }
      rescanInto(digests, advanceDigests(digests, meta.schema, delta), (only) => scanAt(replica, seq, only));
      const claimed = meta.digest === undefined ? undefined : claimMismatch(digests, meta.digest);
      if (claimed !== undefined) problems.push(`log entry ${seq} does not hold what its hub entry claimed (table "${claimed}")`);
      const cached = cachedDigestMismatch(replica, seq, digests);
      if (cached !== undefined) problems.push(`digest.json (a cache) is wrong at entry ${seq} (table "${cached}"): remove it, it is rebuilt`);
    }
    const base = openDatabase(paths.base, { readOnly: true });
    try {
      const at = readSeq(base, paths.base);
      if (at !== replica.lastSeq()) problems.push(`the base snapshot is at commit ${at}, the log ends at ${replica.lastSeq()}`);
      const table = claimMismatch(digestsFromPages(base, paths.base).digests, digestClaims(digests));
      if (table !== undefined) problems.push(`the base snapshot's content differs from what the log adds up to (first: table "${table}")`);
      const differs = schemaDifference(readSchema(schema), readSchema(base));
      if (differs !== undefined) problems.push(`replaying the log gives a different schema than the base snapshot: ${differs}`);
    } finally {
      base.close();
    }
  } finally {
    schema.close();
  }
}

/** Whether two per-table counts (lanesRecord) are the same, tables in any order. */
function sameCounts(a: Record<string, string>, b: Record<string, string>): boolean {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...names].every((name) => a[name] === b[name]);
}

/** An entry's change of digest (undefined for a patchset: it lacks the old values); a large one read a piece at a time. */
function deltaOf(replica: Replica, seq: number, meta: LogEntryMeta): TableDigests | undefined {
  if (!streamed(meta.size)) return entryDelta(replica.entry(seq).bytes);
  if (meta.kind === 'patchset') return undefined;
  const delta: TableDigests = new Map();
  for (const piece of filePieces(entryPaths(replica.paths, seq).bytes, 'changeset')) addChangesetDelta(piece, delta);
  return delta;
}

/** The tables, indexes, views and triggers of `path` created in `into`, in their creation order. */
function copySchema(path: string, into: DatabaseSync): void {
  const db = openDatabase(path, { readOnly: true });
  try {
    for (const o of readSchema(db).objects) into.exec(o.sql);
  } finally {
    db.close();
  }
}

function schemaDifference(replayed: Schema, base: Schema): string | undefined {
  const text = (s: Schema) => s.objects.map((o) => o.sql);
  const a = text(replayed);
  const b = text(base);
  return a.find((sql) => !b.includes(sql)) ?? b.find((sql) => !a.includes(sql));
}

function cachedDigestMismatch(replica: Replica, seq: number, digests: TableDigests): string | undefined {
  const cached = readCache<{ seq: number; tables: Record<string, string> }>(replica.paths.digest);
  if (cached?.seq !== seq) return undefined;
  const lanes = new Map(Object.entries(cached.tables ?? {}).map(([name, b64]) => {
    const bytes = Buffer.from(String(b64), 'base64');
    return [name, new Uint16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length))] as const;
  }));
  return claimMismatch(lanes, digestClaims(digests));
}

/** A log holding patchsets (from a patchset hub) is checked by replaying it onto the genesis. */
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
