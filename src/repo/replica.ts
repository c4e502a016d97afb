// A replica: a SQLite database plus its sidecar folder (config, genesis and base snapshots,
// numbered log). The object the CLI and sync use to reach all of it.
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { SqlferryError } from '../errors/index.ts';
import { rebuildBaseIfHalfWritten } from './base/base-unjournaled.ts';
import { readConfig, readState, writeConfig, writeState, newConfig, type ReplicaConfig, type ReplicaState } from './config.ts';
import { acquireLock } from './lock.ts';
import { removeLeftovers } from './leftovers.ts';
import { rememberPagesAtInit } from './pages/pages-at-init.ts';
import { listSeqs, readEntry, readMeta, type LogEntry, type LogEntryMeta } from './log/log.ts';
import { entryChanges, type EntryChanges } from './log/entry-changes.ts';
import { hasEntry, logEnd, seqsAfter } from './log/log-end.ts';
import { noticeOutsideChanges, stampSidecar } from './sidecar-stamp.ts';
import { copyFileAtomic } from './atomic.ts';
import { recoverPendingPull, type Assumption } from './pull-recovery/recover-pull.ts';
import { finishRestart } from './log/restart-history.ts';
import { discoverReplicas, isReplica, sidecarPaths, type SidecarPaths } from './sidecar.ts';
import { markSeq, snapshotInto } from './base/snapshot.ts';
import { dataVersion, openDatabase, withSqliteErrors } from './sqlite.ts';

export class Replica {
  readonly paths: SidecarPaths;
  readonly config: ReplicaConfig;

  private constructor(paths: SidecarPaths, config: ReplicaConfig) {
    this.paths = paths;
    this.config = config;
  }

  /**
   * Make `dbPath` a replica: sidecar folder, genesis and base snapshots, config, and the page map
   * of the genesis (pages-at-init.ts) unless `pageMap` is false (a clone: a replica that only
   * pulls never reads its pages; its first commit records the map).
   */
  static init(dbPath: string, { pageMap = true }: { pageMap?: boolean } = {}): Replica {
    const paths = sidecarPaths(dbPath);
    requireDatabaseFile(paths.db);
    if (isReplica(paths.db)) {
      throw new SqlferryError('ALREADY_A_REPLICA', `${paths.db} is already a sqlferry replica`, {
        data: { path: paths.db },
        hint: 'sqlferry status shows what changed since the last commit',
      });
    }
    const live = openDatabase(paths.db);
    try {
      withSqliteErrors(paths.db, () => {
        const { encoding } = live.prepare('PRAGMA encoding').get() as { encoding: string };
        if (encoding !== 'UTF-8') {
          throw new SqlferryError('UNSUPPORTED_ENCODING', `${paths.db} stores text as ${encoding}; sqlferry supports UTF-8 databases only`, {
            hint: 'convert it: sqlite3 old.db .dump | sqlite3 new.db (a new database is UTF-8 by default)',
          });
        }
      });
      // config.json is written last: a sidecar without it is an interrupted init, started again.
      rmSync(paths.dir, { recursive: true, force: true });
      mkdirSync(paths.log, { recursive: true });
      const versionBefore = dataVersion(live);
      snapshotInto(live, paths.db, paths.genesis, (db) => markSeq(db, 0));
      if (pageMap) rememberPagesAtInit(paths, live, versionBefore, 0);
    } finally {
      live.close();
    }
    // base.db starts as genesis.db's bytes: a file no connection has open and only this command
    // writes, copied rather than made by a second VACUUM INTO (2.2 GB: ≈ 1.7 s against 7.4 s).
    copyFileAtomic(paths.genesis, paths.base);
    writeState(paths.state, { hubId: null, hubSeq: 0 });
    stampSidecar(paths, false);
    const config = newConfig();
    writeConfig(paths.config, config);
    return new Replica(paths, config);
  }

  static open(dbPath: string): Replica {
    const paths = sidecarPaths(dbPath);
    requireDatabaseFile(paths.db);
    if (!isReplica(paths.db)) {
      throw new SqlferryError('NOT_A_REPLICA', `${paths.db} is not a sqlferry replica`, {
        data: { path: paths.db },
        hint: `run: sqlferry init ${dbPath}`,
      });
    }
    return new Replica(paths, readConfig(paths.config));
  }

  /** --db when given, else the replica found from `cwd` upward, like git finds .git. */
  static find(dbOption: string | undefined, cwd = process.cwd()): Replica {
    if (dbOption !== undefined) return Replica.open(dbOption);
    const found = discoverReplicas(cwd, (dir) => readdirSync(dir));
    if (found.length === 1) return Replica.open(found[0]!);
    if (found.length === 0) {
      throw new SqlferryError('NOT_A_REPLICA', 'no sqlferry replica in this folder or any parent folder', {
        hint: 'run sqlferry init DB first, or name the database with --db PATH',
      });
    }
    throw new SqlferryError('AMBIGUOUS_REPLICA', `several replicas here: ${found.join(', ')}`, {
      data: { replicas: found },
      hint: 'choose one with --db PATH',
    });
  }

  get replicaId(): string {
    return this.config.replicaId;
  }

  state(): ReplicaState {
    return readState(this.paths.state);
  }

  writeState(state: ReplicaState): void {
    writeState(this.paths.state, state);
  }

  /** Sequence numbers in the local log, ascending (a listing of its folder: see seqsAfter). */
  seqs(): number[] {
    return listSeqs(this.paths);
  }

  /** The entries after `seq`, ascending, found without listing the log (log-end.ts). */
  seqsAfter(seq: number): number[] {
    return seqsAfter(this.paths, seq);
  }

  hasEntry(seq: number): boolean {
    return hasEntry(this.paths, seq);
  }

  /** The last log entry, or the entry the genesis reflects when the log is empty (log-end.ts). */
  lastSeq(): number {
    return logEnd(this.paths);
  }

  meta(seq: number): LogEntryMeta {
    return readMeta(this.paths, seq);
  }

  /** An entry with its bytes, checksum verified. */
  entry(seq: number): LogEntry {
    return readEntry(this.paths, seq);
  }

  /** An entry's changes read a piece at a time, checksum verified first: for an entry of any size. */
  entryChanges(seq: number): EntryChanges {
    return entryChanges(this.paths, seq);
  }

  /**
   * Run `fn` holding the replica lock, after rebuilding a base.db whose write without a journal
   * was interrupted and finishing an interrupted history restart or pull (base-unjournaled.ts,
   * restart-history.ts, recover-pull.ts).
   * Every command that changes the replica goes through here.
   * `assume` settles a pull recovery that cannot tell on its own (pull --recover).
   */
  withLock<T>(fn: () => T, assume?: Assumption): T {
    const lock = acquireLock(this.paths.lock);
    try {
      const unsettled = noticeOutsideChanges(this.paths);
      this.recover(assume, unsettled);
      return fn();
    } finally {
      stampSidecar(this.paths);
      lock.release();
    }
  }

  /** withLock for an async body (sync commands wait on the network and on handlers). */
  async withLockAsync<T>(fn: () => Promise<T>, assume?: Assumption): Promise<T> {
    const lock = acquireLock(this.paths.lock);
    try {
      const unsettled = noticeOutsideChanges(this.paths);
      this.recover(assume, unsettled);
      return await fn();
    } finally {
      stampSidecar(this.paths);
      lock.release();
    }
  }

  /** `unsettled`: the sidecar is not as a finished command left it (noticeOutsideChanges). */
  private recover(assume: Assumption | undefined, unsettled: boolean): void {
    removeLeftovers(this.paths, unsettled);
    rebuildBaseIfHalfWritten(this.paths);
    finishRestart(this.paths);
    recoverPendingPull(this.paths, assume);
  }
}

function requireDatabaseFile(path: string): void {
  if (!existsSync(path)) {
    throw new SqlferryError('DB_NOT_FOUND', `${path} does not exist`, { data: { path }, hint: 'check the path, or create the database first' });
  }
  if (!statSync(path).isFile()) {
    throw new SqlferryError('NOT_A_DATABASE', `${path} is not a SQLite database (it is not a file)`, { data: { path } });
  }
}
