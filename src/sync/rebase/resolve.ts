// Carrying out a handler's decision on one conflict, and saying which row versions it discarded.
import type { DatabaseSync } from 'node:sqlite';
import { SqlferryError } from '../../errors/index.ts';
import type { Resolution, Row } from '../handlers/types.ts';
import { deleteRow, fromRow, insertRow, keyOf, overlay, readRow, rowsWithValues, sameRow, type Values } from '../rows.ts';
import type { Discarded } from '../../repo/conflict-store.ts';
import { isConstraintError } from './constraint.ts';
import type { Conflict } from './context.ts';

export interface Outcome {
  resolution: string;
  discarded: Discarded;
  /** The local version as it would have been, the hub's version, and the rows lost on the way (UNIQUE victims). */
  local: Values | null;
  remote: Values | null;
  victims: Values[];
  /** A local key that now means another row: later local changes and local references follow it. */
  remap?: { from: Values; to: Values };
}

export function invalidResolution(handler: string, value: unknown, why: string): SqlferryError {
  return new SqlferryError('HANDLER_INVALID_RESULT', `conflict handler ${handler} returned ${describe(value)}: ${why}; nothing was applied`, {
    data: { handler },
    hint: "return 'keep-local', 'take-remote', 'skip', 'abort', { row }, { newKey } or { sameAs: 'conflicting' }",
  });
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}` : v)) ?? String(value);
  } catch {
    return String(value);
  }
}

export function resolve(db: DatabaseSync, c: Conflict, decision: Resolution, handler: string): Outcome {
  const { shape, change, key, localRow } = c.pending;
  const remote = c.kind === 'unique' && c.conflicting ? c.conflicting : c.remote;
  const base = { local: localRow, remote, victims: [] as Values[] };
  if (decision === 'take-remote' || decision === 'skip' || decision === 'abort') {
    return { ...base, resolution: decision, discarded: 'local' };
  }
  if (decision === 'keep-local') {
    if (change.op === 'DELETE') {
      deleteRow(db, shape, key);
      return { ...base, resolution: decision, discarded: 'remote' };
    }
    const wanted = change.op === 'UPDATE' && c.remote ? overlay(c.remote, change.new!) : localRow!;
    const victims = forceWrite(db, c, wanted);
    return { ...base, victims, resolution: decision, discarded: c.remote || victims.length ? 'remote' : 'none' };
  }
  if (typeof decision !== 'object' || decision === null) throw invalidResolution(handler, decision, 'not a resolution');
  if ('row' in decision && isRow(decision.row)) {
    const merged = fromRow(shape, decision.row, localRow ?? c.remote ?? []);
    if (merged.length !== shape.columns.length || !sameRow(keyOf(shape, merged), key)) throw invalidResolution(handler, decision, 'a merged row must keep the conflicting key');
    const victims = forceWrite(db, c, merged);
    return { ...base, victims, resolution: 'merged', discarded: 'both' };
  }
  if ('newKey' in decision && change.op === 'INSERT' && (c.kind === 'primary-key' || c.kind === 'unique')) {
    const to = decision.newKey === 'auto' ? freshKey(db, c, handler) : isRow(decision.newKey) ? keyOf(shape, fromRow(shape, decision.newKey, change.new!)) : undefined;
    if (!to) throw invalidResolution(handler, decision, 'newKey must be a row of key columns or "auto"');
    const moved = [...change.new!];
    shape.pk.forEach((col, i) => (moved[col] = to[i]!));
    try {
      insertRow(db, shape, moved);
    } catch (err) {
      if (!isConstraintError(err)) throw err;
      // A fresh key cannot help when the row also collides on a UNIQUE column: the hub's rows
      // stay (the local one is saved), so that a cron sync still converges on its own.
      if (decision.newKey === 'auto') return { ...base, resolution: 'take-remote', discarded: 'local' };
      throw invalidResolution(handler, decision, 'the new key collides too');
    }
    return { ...base, resolution: 'rekey', discarded: 'none', remap: { from: key, to } };
  }
  if ('sameAs' in decision && decision.sameAs === 'conflicting' && c.kind === 'unique' && c.conflicting && change.op === 'INSERT') {
    return { ...base, resolution: 'merge-unique', discarded: 'local', remap: { from: key, to: keyOf(shape, c.conflicting) } };
  }
  throw invalidResolution(handler, decision, `not a resolution for a ${c.kind} conflict on ${change.op}`);
}

function isRow(v: unknown): v is Row {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Writes `values` at the conflict's key, removing the hub's rows in the way (returned, to be saved). */
function forceWrite(db: DatabaseSync, c: Conflict, values: Values): Values[] {
  const { shape, key } = c.pending;
  const victims: Values[] = [];
  for (const columns of shape.unique) {
    for (const row of rowsWithValues(db, shape, columns, values)) {
      const rowKey = keyOf(shape, row);
      if (sameRow(rowKey, key) || victims.some((v) => sameRow(keyOf(shape, v), rowKey))) continue;
      victims.push(row);
      deleteRow(db, shape, rowKey);
    }
  }
  if (readRow(db, shape, key)) deleteRow(db, shape, key);
  insertRow(db, shape, values);
  return victims;
}

function freshKey(db: DatabaseSync, c: Conflict, handler: string): Values {
  const { shape } = c.pending;
  if (!shape.integerKey) throw invalidResolution(handler, { newKey: 'auto' }, `table "${shape.name}" has no INTEGER PRIMARY KEY to renumber`);
  const { next } = db.prepare(`SELECT coalesce(max(rowid), 0) + 1 AS next FROM main."${shape.name.replaceAll('"', '""')}"`).get() as { next: bigint };
  return [{ type: 'integer', value: BigInt(next) }];
}
