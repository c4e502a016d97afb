// Foreign keys are off while a pull applies (the changesets already hold every cascade), so a
// local change can leave a reference dangling: a child of a parent the hub deleted, or a parent
// deleted here that the hub's new rows point at. Each new violation is a `foreign-key` conflict.
import type { DatabaseSync } from 'node:sqlite';
import { deleteRow, insertRow, overlay, readRow, updateRow, type Values } from '../rows.ts';
import type { HandlerChooser } from '../handlers/index.ts';
import type { Shapes } from '../table-shape.ts';
import type { Conflict, Pending } from './context.ts';
import { culprit, violations } from './references.ts';
import { isConstraintError } from './constraint.ts';
import { decide, type Resolved } from './decide.ts';
import type { FreshKeys } from './fresh-key.ts';

/** The row as the hub's entries left it, before this local change. */
function hubVersion(db: DatabaseSync, p: Pending): Values | null {
  if (p.change.op === 'INSERT') return null;
  if (p.change.op === 'DELETE') return p.change.old!;
  const current = readRow(db, p.shape, p.key);
  return current && overlay(current, p.change.old!);
}

/**
 * Puts the hub's version back: the local change that made the reference dangle is undone.
 * False when that is impossible (the restored row would collide on a UNIQUE value another
 * local change took): the reference is then left dangling, which every replica sees alike.
 */
function undo(db: DatabaseSync, p: Pending, hub: Values | null): boolean {
  db.exec('SAVEPOINT sqlferry_undo');
  try {
    const current = readRow(db, p.shape, p.key);
    if (!hub) {
      if (current) deleteRow(db, p.shape, p.key);
    } else if (current) updateRow(db, p.shape, p.key, hub);
    else insertRow(db, p.shape, hub);
    db.exec('RELEASE sqlferry_undo');
    return true;
  } catch (err) {
    db.exec('ROLLBACK TO sqlferry_undo');
    db.exec('RELEASE sqlferry_undo');
    if (isConstraintError(err)) return false;
    throw err;
  }
}

export async function resolveDangling(
  db: DatabaseSync, shapes: Shapes, before: Set<string>, pendings: Map<string, Pending>,
  choose: HandlerChooser, keys: FreshKeys, resolved: Resolved[],
): Promise<void> {
  const decided = new Set<Pending>();
  // Undoing a child can orphan its own children: a few rounds settle any chain a commit makes.
  for (let round = 0; round < 8; round++) {
    const fresh = violations(db).filter((v) => !before.has(v.id));
    let acted = false;
    for (const v of fresh) {
      const p = culprit(db, shapes, v, pendings);
      if (!p || decided.has(p)) continue;
      decided.add(p);
      const hub = hubVersion(db, p);
      const conflict: Conflict = { kind: 'foreign-key', pending: p, remote: hub, uniqueColumns: [], conflicting: null };
      const r = await decide(db, conflict, choose, keys);
      resolved.push(r);
      if (r.outcome.discarded === 'local') {
        if (undo(db, p, hub)) acted = true;
        else r.outcome = { ...r.outcome, resolution: 'left-dangling', discarded: 'none' };
      }
    }
    if (!acted) return;
  }
}
