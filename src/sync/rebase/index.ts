// Re-applying this replica's unpushed changes on top of the hub's entries, inside the pull's
// transaction. The common case (no conflict) is one native applyChangeset; otherwise change by
// change, each conflict put to its handler. A recorder (a session, plus what tables tracked by
// rowid need) records what really happened: that
// recording is the new local commit.
import type { DatabaseSync } from 'node:sqlite';
import { constants } from 'node:sqlite';
import { changedTables, iterateChanges } from '../../changeset/index.ts';
import { SqlferryError, EXIT } from '../../errors/index.ts';
import { applyValidated } from '../../repo/apply/apply.ts';
import { ChangeRecorder } from '../../repo/apply/recorder.ts';
import type { HandlerChooser } from '../handlers/index.ts';
import type { ConflictContext } from '../handlers/types.ts';
import type { Values } from '../rows.ts';
import { Shapes } from '../table-shape.ts';
import { contextOf, pendingChange, rowId, type Pending } from './context.ts';
import { applyOrConflict } from './detect.ts';
import { followRemaps, remapKey, violations, type Remap } from './references.ts';
import { resolveDangling } from './dangling.ts';
import { decide, type Resolved } from './decide.ts';
import { FreshKeys } from './fresh-key.ts';

export type { Resolved };

export interface RebaseResult {
  /** What the re-applied local changes really did, as a changeset on the hub's state. */
  recorded: Uint8Array;
  resolved: Resolved[];
}

export async function reapplyLocal(db: DatabaseSync, local: Uint8Array, localRows: Map<string, Values>, choose: HandlerChooser): Promise<RebaseResult> {
  const shapes = new Shapes(db);
  const checkReferences = shapes.foreignKeys().length > 0;
  const before = checkReferences ? new Set(violations(db).map((v) => v.id)) : new Set<string>();
  // Full-text and R*Tree tables the local changes touch are followed by a copy (recorder.ts).
  const touched = new Set(changedTables(local).map((t) => t.name.toLowerCase()));
  const recorder = new ChangeRecorder(db, (t) => touched.has(t.name.toLowerCase()));
  try {
    const resolved: Resolved[] = [];
    const pendings = new Map<string, Pending>();
    const keys = new FreshKeys(db, shapes, local);
    const fast = applyValidated(db, local, { expect: 'changeset', onConflict: () => constants.SQLITE_CHANGESET_ABORT, widerTables: true });
    if (!fast) await changeByChange(db, shapes, local, localRows, choose, keys, pendings, resolved);
    else for (const change of iterateChanges(local)) {
      const p = pendingChange(shapes.of(change.table.name), change, localRows);
      pendings.set(rowId(p.shape.name, p.key), p);
    }
    if (checkReferences) await resolveDangling(db, shapes, before, pendings, choose, keys, resolved);
    const aborted = resolved.filter((r) => r.outcome.resolution === 'abort');
    if (aborted.length > 0) throw abortError(aborted.map((r) => contextOf(r.conflict)));
    return { recorded: recorder.changeset(), resolved };
  } finally {
    recorder.close();
  }
}

async function changeByChange(
  db: DatabaseSync, shapes: Shapes, local: Uint8Array, localRows: Map<string, Values>,
  choose: HandlerChooser, keys: FreshKeys, pendings: Map<string, Pending>, resolved: Resolved[],
): Promise<void> {
  const remaps: Remap[] = [];
  for (const change of iterateChanges(local)) {
    const p = remapKey(pendingChange(shapes.of(change.table.name), change, localRows), remaps);
    pendings.set(rowId(p.shape.name, p.key), p);
    // A rekeyed row can meet a second conflict at its new key: each is decided and recorded.
    const chain: Resolved[] = [];
    for (let conflict = applyOrConflict(db, p); conflict; conflict = chain.at(-1)!.outcome.next) {
      const r = await decide(db, conflict, choose, keys);
      chain.push(r);
      resolved.push(r);
      for (const victim of r.outcome.victims) {
        resolved.push({ conflict: { ...conflict, kind: 'unique', remote: victim }, handler: r.handler, outcome: { ...r.outcome, local: conflict.pending.localRow, remote: victim, victims: [], discarded: 'remote' } });
      }
    }
    const remap = chainRemap(chain);
    if (remap) remaps.push({ table: p.shape.name, ...remap });
  }
  followRemaps(db, shapes, remaps, [...pendings.values()]);
}

/**
 * Where a chain of resolutions moved the local key: from the first key to the last one. Each
 * record then reads its result there (a rekeyed row merged into the hub's shows the hub's row).
 */
function chainRemap(chain: Resolved[]): { from: Values; to: Values } | undefined {
  const moves = chain.filter((r) => r.outcome.remap);
  if (moves.length === 0) return undefined;
  const remap = { from: moves[0]!.outcome.remap!.from, to: moves.at(-1)!.outcome.remap!.to };
  for (const r of chain) r.outcome.remap = remap;
  return remap;
}

function abortError(conflicts: ConflictContext[]): SqlferryError {
  const lines = conflicts.map((c) => `${c.kind} on ${c.table} ${JSON.stringify(c.primaryKey, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))}`);
  return new SqlferryError('SYNC_CONFLICT_ABORT', `pull stopped at ${conflicts.length} conflict(s), nothing was applied:\n  ${lines.join('\n  ')}`, {
    data: { conflicts },
    exitCode: EXIT.failure,
    hint: 'look at the rows (--json shows them), then pull again with --conflict-handler local|remote|… for the tables involved',
  });
}
