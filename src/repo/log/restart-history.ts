// A replica that starts a new hub (a push to an empty hub from a replica of another one) starts
// its history again from its current content: the state at its log's end (base.db caught up)
// becomes its genesis, commit 0, and it looks exactly like a fresh replica made by init from
// that content, so the usual first push uploads the genesis and the new hub's entry 1 follows
// it. The old genesis, log and state move to archive/<old hub id>/ in the sidecar, kept as they
// were. Changes not committed yet stay so: base.db keeps its content, only its number changes.
//
// In two steps, so that a crash never leaves half a log: prepareRestart writes genesis.next.db
// and nothing else (the push uploads it first); restartHistory writes restart.json, the commit
// point, and then moves the files, each step redone safely by finishRestart, which the next
// command holding the lock runs, as it finishes an interrupted pull.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncDir, readJson, writeJsonAtomic } from '../atomic.ts';
import { openBase } from '../base/base.ts';
import { readState, writeState, type ReplicaState } from '../config.ts';
import { forgetFingerprint } from '../pages/fingerprint.ts';
import type { SidecarPaths } from '../sidecar.ts';
import { markSeq, snapshotInto } from '../base/snapshot.ts';
import { openDatabase } from '../sqlite.ts';

interface Restart {
  /** The folder under archive/ the old history moves to. */
  archive: string;
  /** state.json before the restart, kept in the archive. */
  previous: ReplicaState;
  /** state.json after it. */
  state: ReplicaState;
}

/** Write genesis.next.db: the content at the log's end, numbered 0. Holding the lock. */
export function prepareRestart(paths: SidecarPaths): void {
  const base = openBase(paths);
  try {
    snapshotInto(base, paths.base, paths.nextGenesis, (db) => markSeq(db, 0));
  } finally {
    base.close();
  }
}

/** The restart did not happen (the upload failed): forget genesis.next.db. */
export function abandonRestart(paths: SidecarPaths): void {
  rmSync(paths.nextGenesis, { force: true });
}

/** Make genesis.next.db the genesis, with `state` as the new state.json. Returns the archive folder. */
export function restartHistory(paths: SidecarPaths, state: ReplicaState): string {
  const previous = readState(paths.state);
  const archive = freeName(paths.archive, String(previous.hubId ?? 'no-hub').replace(/[^A-Za-z0-9._-]/g, '_'));
  writeJsonAtomic(paths.restart, { archive, previous, state } satisfies Restart);
  finishRestart(paths);
  return join(paths.archive, archive);
}

/** Finish a restart recorded in restart.json; without one, drop a genesis.next.db left by a failed push. */
export function finishRestart(paths: SidecarPaths): void {
  if (!existsSync(paths.restart)) return abandonRestart(paths);
  const { archive, previous, state } = readJson<Restart>(paths.restart);
  const into = join(paths.archive, archive);
  mkdirSync(into, { recursive: true });
  if (!existsSync(join(into, 'state.json'))) writeJsonAtomic(join(into, 'state.json'), previous);
  if (!existsSync(join(into, 'log'))) renameSync(paths.log, join(into, 'log'));
  if (!existsSync(join(into, 'genesis.db'))) renameSync(paths.genesis, join(into, 'genesis.db'));
  fsyncDir(into);
  mkdirSync(paths.log, { recursive: true });
  if (existsSync(paths.nextGenesis)) {
    const next = openDatabase(paths.nextGenesis, { readOnly: true });
    try {
      snapshotInto(next, paths.nextGenesis, paths.base, () => {});
    } finally {
      next.close();
    }
    renameSync(paths.nextGenesis, paths.genesis);
  }
  // Caches about the old numbering: rebuilt when needed.
  for (const cache of [paths.digest, paths.baseLag]) rmSync(cache, { force: true });
  forgetFingerprint(paths);
  writeState(paths.state, state);
  rmSync(paths.restart);
  fsyncDir(paths.dir);
}

function freeName(dir: string, name: string): string {
  let candidate = name;
  for (let n = 2; existsSync(join(dir, candidate)); n++) candidate = `${name}-${n}`;
  return candidate;
}
