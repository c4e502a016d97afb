// Carrying out a handler's decision on one conflict, and saying which row versions it discarded.
import type { DatabaseSync } from 'node:sqlite';
import { SqlferryError } from '../../errors/index.ts';
import type { Resolution, Row } from '../handlers/types.ts';
import { deleteRow, fromRow, insertRow, keyOf, overlay, readRow, rowsWithValues, sameRow, type Values } from '../rows.ts';
import type { Discarded } from '../../repo/conflicts/conflict-store.ts';
import { isConstraintError } from './constraint.ts';
import type { Conflict, Pending } from './context.ts';
import { uniqueCollision } from './detect.ts';
import type { FreshKeys } from './fresh-key.ts';

export interface Outcome {
  resolution: string;
  discarded: Discarded;
  /** The local version as it would have been, the hub's version, and the rows lost on the way (UNIQUE victims). */
  local: Values | null;
  remote: Values | null;
  victims: Values[];
  /** A local key that now means another row: later local changes and local references follow it. */
  remap?: { from: Values; to: Values };
  /** The row moved to its new key but collides there on a UNIQUE value: a conflict for the table's unique handler. */
  next?: Conflict;
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

export function resolve(db: DatabaseSync, c: Conflict, decision: Resolution, handler: string, keys: FreshKeys): Outcome {
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
    const auto = decision.newKey === 'auto';
    const to = auto ? autoKey(c, keys, handler) : isRow(decision.newKey) ? keyOf(shape, fromRow(shape, decision.newKey, change.new!)) : undefined;
    if (!to) throw invalidResolution(handler, decision, 'newKey must be a row of key columns or "auto"');
    if (!auto && keys.namedLocally(shape, to)) throw invalidResolution(handler, decision, 'a local change uses that key too');
    const moved = movedTo(c.pending, to);
    try {
      insertRow(db, shape, moved.change.new!);
    } catch (err) {
      if (!isConstraintError(err)) throw err;
      // At its new key the row is a local insert like any other: a UNIQUE collision there is
      // put to the table's unique handler (once: a row moved twice is not moved again).
      const clash = c.movedFrom === undefined && !readRow(db, shape, to) ? uniqueCollision(db, moved) : undefined;
      if (clash) {
        const next: Conflict = { kind: 'unique', pending: moved, remote: null, uniqueColumns: clash.columns, conflicting: clash.row, movedFrom: key };
        return { ...base, resolution: 'rekey', discarded: 'none', remap: { from: key, to }, next };
      }
      // Not a UNIQUE collision a handler could settle: the hub's rows stay (the local one is saved).
      if (auto) return { ...base, resolution: 'take-remote', discarded: 'local' };
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

function autoKey(c: Conflict, keys: FreshKeys, handler: string): Values {
  const { shape } = c.pending;
  if (!shape.integerKey) throw invalidResolution(handler, { newKey: 'auto' }, `table "${shape.name}" has no INTEGER PRIMARY KEY to renumber`);
  return keys.next(shape);
}

/** The pending insert as it stands at key `to`. */
function movedTo(p: Pending, to: Values): Pending {
  const move = (values: Values) => {
    const out = [...values];
    p.shape.pk.forEach((col, i) => (out[col] = to[i]!));
    return out;
  };
  return { ...p, key: to, change: { ...p.change, new: move(p.change.new!) }, localRow: move(p.localRow!) };
}
