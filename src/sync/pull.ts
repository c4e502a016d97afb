// `pull`: fetch the hub's new entries and rebase the local commits onto them, in one
// transaction on the live database (docs/ARCHITECTURE.md, "Sync"). The sidecar follows after
// the COMMIT, through the pending-pull record (pending-pull.ts) that makes a crash recoverable.
// This module is what a pull with nothing to do runs (cron's no-op sync): the fingerprint, the
// hub's head; the fetch and the rebase (pull-entries.ts) and a commit of uncommitted changes
// (working.ts) are imported when there is work, so the npm package's script for a command
// holds only this path (bin/build-dist.ts).
import { SqlferryError, EXIT } from '../errors/index.ts';
import type { HubInfo, Remote } from '../hub/remote.ts';
import type { Replica } from '../repo/replica.ts';
import { statLive, unchangedSince } from '../repo/pages/fingerprint.ts';
import type { ConflictRecord } from '../repo/conflicts/conflict-store.ts';
import { restoreLostEntries } from './lost-entries.ts';
import type { HandlerChooser } from './handlers/index.ts';
import { replicaHandlers } from './handlers/replica-rules.ts';
import { infoAndHead, meetHub } from './hub-state.ts';
import type { Progress } from './progress.ts';

export interface PullOptions {
  /** How conflicts are settled; by default the replica's own rules (config.json's `conflictHandlers`). */
  handlers?: HandlerChooser;
  /** Commit uncommitted changes first (default); false refuses to pull over them. */
  commit?: boolean;
  message?: string;
  /** Told how the fetch goes (the CLI shows it on a terminal). */
  progress?: Progress | undefined;
}

export interface PullResult {
  /** Hub entries applied. */
  pulled: number;
  /** Of those, entries that carried no content digest (written by an older sqlferry): not checked. */
  unchecked: number;
  head: number;
  /** Whether local commits were rebased, and the new local commit (null when none remained). */
  rebased: boolean;
  localCommit: number | null;
  conflicts: ConflictRecord[];
}

const nothing = (head: number): PullResult => ({ pulled: 0, unchecked: 0, head, rebased: false, localCommit: null, conflicts: [] });

/** PullOptions with the handlers chosen. */
export type SettledOptions = PullOptions & { handlers: HandlerChooser };

export async function pull(replica: Replica, remote: Remote, options: PullOptions): Promise<PullResult> {
  // Chosen first: a rule naming a table the database lacks is refused before anything moves.
  const opts = { ...options, handlers: options.handlers ?? (await replicaHandlers(replica)) };
  // The hub is asked while the local work below goes on: over SSH the connection's round trips
  // (~0.1 s) are otherwise spent waiting. A failure is said after that work, as before.
  const reaching = infoAndHead(remote);
  reaching.catch(() => {}); // awaited in pullLocked
  await restoreLostEntries(replica, remote);
  // Committed here, the changes reach the log even when the hub has nothing new (a push needs them).
  await commitFirst(replica, opts);
  // What another program writes from here on is captured inside the pull's transaction.
  return replica.withLockAsync(() => pullLocked(replica, remote, opts, reaching));
}

async function pullLocked(replica: Replica, remote: Remote, opts: SettledOptions, reaching: Promise<{ info: HubInfo; head: number }>): Promise<PullResult> {
  const hub = await reaching;
  const { info } = hub;
  const pos = await meetHub(replica, remote, info);
  // Read before meetHub: an entry of this replica's that landed unseen since (a push whose answer
  // was lost, still being stored when the head was read) may be adopted past it; ask again then.
  const head = hub.head >= pos.hubSeq ? hub.head : await remote.head();
  if (pos.hubTip === null || head === pos.hubSeq) return nothing(head);
  if (head < pos.hubSeq) {
    throw new SqlferryError('HUB_BEHIND', `the hub at ${remote.url} has ${head} entries, this replica has seen ${pos.hubSeq}`, {
      exitCode: EXIT.corrupt,
      hint: 'the hub was restored from an older backup; push from this replica to a fresh hub, or clone again',
    });
  }
  return (await import('./pull-entries.ts')).pullEntries(replica, remote, opts, info, { hubSeq: pos.hubSeq, hubTip: pos.hubTip });
}

/**
 * Uncommitted changes committed (working.ts). Holding the lock (which first finishes an
 * interrupted pull): a live database whose files stat as they did at the log's end has none,
 * answered without loading the comparison's code.
 */
async function commitFirst(replica: Replica, opts: PullOptions): Promise<void> {
  const paths = replica.paths;
  if (await replica.withLockAsync(async () => unchangedSince(paths, statLive(paths), replica.lastSeq()))) return;
  await (await import('./working.ts')).commitWorkingChanges(replica, opts);
}
