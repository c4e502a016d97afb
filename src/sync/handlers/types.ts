// The conflict handler contract: a plain function from the full context of one conflict to a
// decision. Built-ins live one per file beside this one; users write the same in a .mjs file.
import type { ConflictKind } from '../../repo/conflicts/conflict-store.ts';
import type { Row } from '../rows.ts';

export type { ConflictKind, Row };
export const CONFLICT_KINDS: readonly ConflictKind[] = ['primary-key', 'unique', 'data', 'not-found', 'foreign-key'];

/**
 * One conflict met while pull re-applies this replica's unpushed commits on top of the hub's
 * entries. "Local" is what this replica did; "remote" is what the hub's entries left.
 */
export interface ConflictContext {
  /**
   * primary-key: a local INSERT whose key the hub already used;
   * unique: a local INSERT/UPDATE whose UNIQUE value the hub gave a row with another key;
   * data: a local UPDATE/DELETE of a row the hub changed since;
   * not-found: a local UPDATE of a row the hub deleted;
   * foreign-key: a local change left a reference dangling (a child of a parent the hub deleted,
   * or a parent deleted here that the hub's rows point at).
   */
  kind: ConflictKind;
  table: string;
  columns: string[];
  /** The conflicting row's key (column → value). */
  primaryKey: Row;
  /** The local change being re-applied: its operation, the row before it (old) and after it (new). */
  local: { op: 'INSERT' | 'UPDATE' | 'DELETE'; old: Row | null; new: Row | null };
  /** The row the hub's entries left at that key, or null when there is none. */
  remote: Row | null;
  /** For `unique`: the UNIQUE columns that collided and the hub's row holding those values. */
  uniqueColumns: string[];
  conflicting: Row | null;
}

/**
 * What to do:
 * - 'keep-local': the local change wins over the hub's row (the hub's version is saved);
 * - 'take-remote': the hub's row stays, the local change is dropped (and saved);
 * - 'skip': the local change is dropped (and saved), recorded as skipped rather than lost to the hub;
 * - { row }: this merged row is written at the key (both versions are saved);
 * - { newKey }: for primary-key/unique on an INSERT, the local row is inserted under this key
 *   (or a fresh integer key when newKey is 'auto'), and local rows that referenced it follow;
 *   a key another local change names is refused, and a UNIQUE collision at the new key is a
 *   `unique` conflict for the table's unique rule;
 * - { sameAs }: for unique on an INSERT, the local row is the hub's row `conflicting`: local
 *   references follow to it and the local version is saved.
 * - 'abort': nothing of the pull is applied; every such conflict is listed.
 */
export type Resolution =
  | 'keep-local'
  | 'take-remote'
  | 'skip'
  | 'abort'
  | { row: Row }
  | { newKey: Row | 'auto' }
  | { sameAs: 'conflicting' };

export type ConflictHandler = (context: ConflictContext) => Resolution | Promise<Resolution>;

/** A handler with the name the conflict store records for it. */
export interface NamedHandler {
  name: string;
  handle: ConflictHandler;
}
