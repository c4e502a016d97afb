// A pull's work, once pull.ts found the hub ahead of this replica: fetch the new entries,
// rebase the local commits onto them in one transaction on the live database, then the log and
// the sidecar through the pending-pull record (docs/ARCHITECTURE.md, "Sync"). Imported by
// pull.ts only when there is something to pull.
import { randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import { ChangesetFormatError, SqlferryError, EXIT } from '../errors/index.ts';
import type { HubInfo, Remote } from '../hub/remote.ts';
import { applyChecked, applySchema } from '../repo/apply/apply.ts';
import { applyCheckedFile } from '../repo/apply/apply-pieces.ts';
import { readEntryOrFile, type LogEntry, type LogEntryFile, type LogEntryMeta } from '../repo/log/log.ts';
import { sha256 } from '../hub/checksum.ts';
import { logMeta } from './entry-meta.ts';
import type { Replica } from '../repo/replica.ts';
import { dataVersion, openDatabase, schemaVersion } from '../repo/sqlite.ts';
import { saveFingerprint, stampPastTick, statLive, type LiveFiles, type Stamp } from '../repo/pages/fingerprint.ts';
import { ConflictStore } from '../repo/conflicts/conflict-store.ts';
import { fetchEntries, type FetchedEntry } from './fetch.ts';
import { clearPending, markTransaction, openPullDir, pendingBytesFile, stageHubEntries, writePending, type PendingPull } from '../repo/pull-recovery/pending-pull.ts';
import { reapplyLocal } from './rebase/index.ts';
import { largeRebase, rebaseLarge, type Rebased } from './rebase/large-local.ts';
import { redoLocal, refuseNonAdditive, squashLocal, undoLocal } from './rebase/schema.ts';
import { conflictRecords } from './record-conflicts.ts';
import { finishLog, finishPull, type BaseForward } from '../repo/pull-recovery/recover-pull.ts';
import { readLocalRows } from './local-rows.ts';
import { addPatchsetInsertsDelta, copyDigests, entryDelta, type TableDigests } from '../changeset/digest.ts';
import { validateChangeset } from '../changeset/index.ts';
import type { TableHeader } from '../changeset/types.ts';
import { scanDigests } from '../repo/digest-scan.ts';
import { addTouchedRows } from './touched-digest.ts';
import { fileDelta, type EntryDigestChange } from './file-delta.ts';
import { advanceDigests, claimMismatch, digestsAt, rescanInto, saveDigests } from '../repo/digest-state.ts';
import { captureWorking, prepareCapture } from './working.ts';
import { withLiveTransaction } from './transaction.ts';
import { pageMapAt } from '../repo/pages/page-scope.ts';
import { rememberPagesAfterPull } from '../repo/pages/pages-after-pull.ts';
import { settle } from '../shared/collect.ts';

import type { PullResult, SettledOptions } from './pull.ts';

/**
 * Bytes fetched from which a pull settles the heap before its transaction (two full collections):
 * what that gives back matters where the transaction's peak nears the memory budget; for a few
 * MB it bought nothing at the peak (a 6.6 MB pull over SSH: 95 MB with or without) and cost
 * ~0.08 s of CPU (docs/BENCHMARKS.md).
 */
const SETTLE_AFTER = 16 << 20;

/** The hub's entries after `pos` (the hub is ahead of it), fetched and applied. Holding the replica lock. */
export async function pullEntries(replica: Replica, remote: Remote, opts: SettledOptions, info: HubInfo, pos: { hubSeq: number; hubTip: string }): Promise<PullResult> {
  // Large entries are written into pull/ as they arrive, the others staged below.
  openPullDir(replica.paths);
  let incoming: FetchedEntry[];
  let local: Array<LogEntry | LogEntryFile>;
  // As each batch arrives, verified, while the next one travels: its bytes are written on the
  // thread pool (staged, linked into the log after COMMIT) and its entries' changes of digest
  // counted, yielding between entries so the transport keeps reading. Nothing is applied, and
  // every claim is checked in the transaction, until the whole fetch is verified.
  const changes: EntryDigestChange[] = [];
  const staging: Array<Promise<void>> = [];
  const take = async (batch: FetchedEntry[]) => {
    const held = batch.flatMap((e) => ('bytes' in e ? [{ seq: e.meta.seq, bytes: e.bytes }] : []));
    if (held.length > 0) {
      const writing = stageHubEntries(replica.paths, held);
      writing.catch(() => {}); // awaited before pending.json is written, or before pull/ is cleared
      staging.push(writing);
    }
    for (const e of batch) {
      changes.push(digestChange(e));
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  try {
    incoming = await fetchEntries(remote, pos.hubSeq, pos.hubTip, (seq) => pendingBytesFile(replica.paths, seq), opts.progress, take);
    local = replica.seqsAfter(pos.hubSeq).map((s) => readEntryOrFile(replica.paths, s)); // a large one stays in its file (rebase/large-local.ts)
    refuseNonAdditive(local);
    prepareCapture(replica);
  } catch (err) {
    await Promise.allSettled(staging);
    clearPending(replica.paths);
    throw err;
  }
  // What a large fetch left (over SSH, a young generation grown by ssh2's packets) freed before the transaction.
  if (incoming.reduce((n, e) => n + e.meta.size, 0) >= SETTLE_AFTER) settle();
  // `settled` also marks a failure as handled until the transaction awaits `staged` (it may await handlers first).
  const staged = Promise.all(staging).then(() => undefined);
  const settled = staged.then(() => undefined, () => undefined);
  let pendingMayExist = false;
  const db = openDatabase(replica.paths.db, { foreignKeys: false });
  try {
    return await rebaseOnto(replica, db, info.hubId, pos.hubSeq, incoming, changes, local, opts, async () => {
      await staged;
      pendingMayExist = true;
    });
  } finally {
    db.close();
    // Never leave writes in flight behind the lock; a pull that wrote no pending record leaves nothing.
    await settled;
    if (!pendingMayExist) clearPending(replica.paths);
  }
}

async function rebaseOnto(
  replica: Replica, db: DatabaseSync, hubId: string, hubSeq: number,
  incoming: FetchedEntry[], deltas: EntryDigestChange[], committed: Array<LogEntry | LogEntryFile>, opts: SettledOptions, beforePending: () => Promise<void>,
): Promise<PullResult> {
  const paths = replica.paths;
  const pullId = randomUUID();
  const head = incoming.at(-1)!.meta.seq;
  let pending: PendingPull | undefined;
  let dataVersionAtCommit = 0;
  let localCommit: number | null = null;
  let rebasedLocal = false;
  let forward: BaseForward | undefined;
  const digests = digestsAt(replica, hubSeq);
  const pagesBefore = pageMapAt(paths, replica.lastSeq()); // before the log changes: the map names its entry
  // At BEGIN, before the triggers are dropped: the schema_version a rollback leaves, and what
  // other programs wrote since the commit before the fetch, captured where none can write.
  const atBegin = () => ({ before: schemaVersion(db), working: captureWorking(replica, opts) });
  await withLiveTransaction(db, paths.db, atBegin, async (tx, { before, working }) => {
    if (working) refuseNonAdditive([working]);
    const local = working ? [...committed, working] : committed;
    rebasedLocal = local.length > 0;
    const applyHub = () => incoming.forEach((e, i) => {
      const change = deltas[i]!;
      if (change.touched) addTouchedRows(db, change.touched, digests, -1);
      applyHubEntry(db, e, change.tables);
      if (change.touched) addTouchedRows(db, change.touched, digests, 1);
      checkEntryDigest(db, digests, e, change.delta);
    });
    const large = largeRebase(local, incoming);
    const digestsBefore = large && copyDigests(digests);
    let rebased = large && rebaseLarge(db, large, applyHub);
    forward = rebased ? baseForward(working, incoming) : undefined;
    if (!rebased) {
      if (digestsBefore) {
        digests.clear(); // the hub's entries are counted again
        for (const [table, lanes] of digestsBefore) digests.set(table, lanes);
      }
      rebased = await rebaseWhole(replica, db, local, incoming, applyHub, opts);
    }
    const { schema, resolved } = rebased;
    const entries: LogEntryMeta[] = incoming.map((e) => logMeta(e.meta));
    let localEntry: { seq: number; bytes: Uint8Array | Iterable<Uint8Array> } | undefined;
    if (rebased.size > 0 || schema.length > 0) {
      localCommit = head + 1;
      // A --message given to the commit before the fetch and to the capture is said once.
      entries.push({
        seq: localCommit, parent: incoming.at(-1)!.meta.sha256, replicaId: replica.replicaId, time: new Date().toISOString(),
        message: [...new Set(local.map((e) => e.meta.message).filter(Boolean))].join('; '), kind: 'changeset', schema,
        sha256: rebased.sha256, size: rebased.size,
      });
      localEntry = { seq: localCommit, bytes: rebased.bytes };
    }
    const conflicts = conflictRecords(db, resolved, head);
    await beforePending();
    tx.beforeCommit(() => {
      const after = markTransaction(db);
      dataVersionAtCommit = dataVersion(db);
      pending = {
        id: pullId, phase: 'prepared', schemaVersion: { before, after }, oldHubSeq: hubSeq, oldLast: committed.at(-1)?.meta.seq ?? hubSeq,
        state: { hubId, hubSeq: head, hubTip: incoming.at(-1)!.meta.sha256 }, entries, conflicts,
      };
      writePending(paths, pending, localEntry);
    });
  });
  const liveAtCommit = statLive(paths);
  await finishLog(paths, pending!, forward);
  finishPull(paths, pending!);
  saveDigests(replica, head, digests);
  const stamp = await rememberLiveAtLogEnd(replica, db, liveAtCommit, dataVersionAtCommit);
  if (typeof pagesBefore !== 'string') rememberPagesAfterPull(paths, db, stamp, dataVersionAtCommit, pagesBefore, replica.lastSeq());
  const unchecked = incoming.filter((e) => e.meta.digest === undefined).length;
  const result = { pulled: incoming.length, unchecked, head, rebased: rebasedLocal, localCommit };
  if (pending!.conflicts.length === 0) return { ...result, conflicts: [] }; // no need to open the store
  const store = new ConflictStore(paths.conflicts);
  try {
    return { ...result, conflicts: store.ofPull(pullId) };
  } finally {
    store.close();
  }
}

/**
 * The usual rebase (rebase/index.ts): the local commits undone, the hub's entries applied
 * (`applyHub`), the local commits squashed and re-applied, with the conflict handlers; a
 * large commit is read whole here.
 */
async function rebaseWhole(
  replica: Replica, db: DatabaseSync, local: ReadonlyArray<LogEntry | LogEntryFile>, incoming: FetchedEntry[], applyHub: () => void, opts: SettledOptions,
): Promise<Rebased> {
  const whole = local.map((e) => ('file' in e ? replica.entry(e.meta.seq) : e));
  const localBytes = whole.length > 0 ? squashLocal(db, whole) : new Uint8Array();
  const localRows = readLocalRows(db, localBytes);
  const undone = undoLocal(db, whole);
  applyHub();
  redoLocal(db, undone, incoming.flatMap((e) => e.meta.schema));
  const rebase = localBytes.length > 0 ? await reapplyLocal(db, localBytes, localRows, opts.handlers) : undefined;
  const bytes = rebase?.recorded ?? new Uint8Array();
  return { schema: undone.statements.map((s) => s.sql), bytes, sha256: sha256(bytes), size: bytes.length, resolved: rebase?.resolved ?? [] };
}

/**
 * After a rebase that kept the local changes as they were (rebase/large-local.ts), what takes
 * base.db from the old log's end to the new one's: the new log adds the hub's entries and the
 * local changes, of which base.db lacks only the uncommitted ones; applied in the order the live
 * database took them (its local changes, then the hub's entries on top), it reaches the live
 * database's state, which the new log's end is.
 */
function baseForward(working: LogEntry | undefined, incoming: FetchedEntry[]): BaseForward {
  return (base) => {
    if (working) {
      applySchema(base, working.meta.schema, 'uncommitted changes');
      if (working.bytes.byteLength > 0) applyChecked(base, working.bytes, 'changeset');
    }
    for (const e of incoming) {
      applySchema(base, e.meta.schema, `hub entry ${e.meta.seq}`);
      if ('file' in e) applyCheckedFile(base, e.file, e.meta.kind);
      else applyChecked(base, e.bytes, e.meta.kind);
    }
  };
}

/**
 * After the log is written: the live database equals its last entry, as its files stat right
 * after our COMMIT, unless another program committed since. data_version, read on our
 * connection after the clock reading, proves it did not, so the next commit finds nothing
 * without reading the database (fingerprint.ts) and base.db is not needed.
 */
async function rememberLiveAtLogEnd(replica: Replica, db: DatabaseSync, live: LiveFiles, atCommit: number): Promise<Stamp> {
  const stamp = await stampPastTick(replica.paths, live);
  if (dataVersion(db) === atCommit) saveFingerprint(replica.paths, stamp, replica.lastSeq());
  return stamp;
}

/**
 * The entry's claimed content digest against the replica's own count: the digest before it,
 * plus the change its bytes make (tables given a column, and a patchset's, read again now that
 * it is applied). A difference means the bytes or the metadata are not what their writer made.
 */
function checkEntryDigest(db: DatabaseSync, digests: TableDigests, e: FetchedEntry, delta: TableDigests | undefined): void {
  const rescan = advanceDigests(digests, e.meta.schema, delta);
  rescanInto(digests, rescan, (only) => scanDigests(db, only));
  if (e.meta.digest === undefined) return;
  const table = claimMismatch(digests, e.meta.digest);
  if (table === undefined) return;
  throw new SqlferryError('HUB_ENTRY_DIGEST_MISMATCH', `hub entry ${e.meta.seq} does not match the content digest it claims (table "${table}"): its bytes or metadata are not what its writer made; nothing was applied`, {
    data: { seq: e.meta.seq, table },
    exitCode: EXIT.corrupt,
    hint: 'the hub holds a damaged or forged entry; tell whoever runs the hub (sqlferry verify on the replica that pushed it)',
  });
}

function corruptEntry(e: FetchedEntry, err: ChangesetFormatError): SqlferryError {
  return new SqlferryError('HUB_ENTRY_CORRUPT', `hub entry ${e.meta.seq} is not a valid ${e.meta.kind}: ${err.message}; nothing was pulled`, {
    data: { seq: e.meta.seq, offset: err.offset },
    exitCode: EXIT.corrupt,
    hint: 'the hub holds a damaged or forged entry that no replica can apply; tell whoever runs the hub',
    cause: err,
  });
}

/**
 * An entry's change of digest from its bytes, and for a patchset the bytes whose rows give the
 * rest; with the tables the bytes change (validated here, once: applying them checks those
 * against the schema). Counted as the entry arrives (pullEntries); a file that does not decode names its entry.
 */
function digestChange(e: FetchedEntry): EntryDigestChange {
  try {
    if ('file' in e) return fileDelta(e.file, e.meta.kind);
    const tables = validateChangeset(e.bytes, e.meta.kind); // a file that repeats a table otherwise would be read two ways
    const delta = entryDelta(e.bytes);
    if (delta !== undefined) return { delta, tables };
    const inserts: TableDigests = new Map();
    addPatchsetInsertsDelta(e.bytes, inserts);
    return { delta: inserts, touched: e.bytes, tables };
  } catch (err) {
    throw err instanceof ChangesetFormatError ? corruptEntry(e, err) : err;
  }
}

/**
 * A hub entry applies to exactly the state it was made on: one that does not decode, or does
 * not fit this replica's schema or rows, is damaged or forged, or this replica diverged.
 */
function applyHubEntry(db: DatabaseSync, e: FetchedEntry, tables: readonly TableHeader[] | undefined): void {
  applySchema(db, e.meta.schema, `hub entry ${e.meta.seq}`);
  try {
    if ('file' in e) applyCheckedFile(db, e.file, e.meta.kind);
    else applyChecked(db, e.bytes, e.meta.kind, tables);
  } catch (err) {
    if (err instanceof ChangesetFormatError) throw corruptEntry(e, err);
    const code = (err as SqlferryError).code;
    if (code !== 'APPLY_CONFLICT' && code !== 'SCHEMA_MISMATCH' && code !== 'APPLY_REFUSED') throw err;
    const why = code === 'APPLY_CONFLICT' ? "its content differs from the hub's" : (err as Error).message;
    throw new SqlferryError('REPLICA_DIVERGED', `hub entry ${e.meta.seq} does not apply to this replica: ${why}`, {
      data: { seq: e.meta.seq },
      exitCode: EXIT.corrupt,
      hint: 'run sqlferry verify; then clone a fresh replica from the hub and carry local work over',
      cause: err,
    });
  }
}
