// Checking a changeset or patchset whole before SQLite's applyChangeset sees it. SQLite trusts
// the file's structure: a table named again with another column count makes it read past its
// arrays and kill the process (SIGSEGV with SQLite 3.40 and 3.53), and a damaged record stops
// the apply halfway with a vague error. So the codec reads every record first and refuses the
// file, with the byte offset, before anything is applied.
import { ChangesetFormatError } from '../errors/index.ts';
import type { ChangesetKind, TableHeader } from './types.ts';
import { detectKind } from './reader.ts';
import { walkTables } from './tables.ts';

/**
 * Read the whole file (one pass, nothing allocated per value) and return the header of every
 * table it changes, once per table (its first group, in file order): what the caller checks
 * against the database's schema. Throws ChangesetFormatError when a record does not decode,
 * the file is not of the `expect`ed kind, a table name is empty, or a table appears again with
 * another column count or other primary-key flags. Tables are one table as SQLite compares
 * their names: ASCII case folded.
 */
export function validateChangeset(bytes: Uint8Array, expect?: ChangesetKind): TableHeader[] {
  const kind = detectKind(bytes);
  if (expect !== undefined && bytes.length > 0 && kind !== expect) {
    throw new ChangesetFormatError(`expected a ${expect}, found a ${kind} table header`, 0);
  }
  const first = new Map<string, TableHeader>();
  const changed: TableHeader[] = [];
  const listed = new Set<string>();
  walkTables(bytes, kind, {
    header(table, at) {
      if (table.name === '') throw new ChangesetFormatError('table header with an empty table name', at);
      const key = foldAscii(table.name);
      const earlier = first.get(key);
      if (earlier === undefined) first.set(key, table);
      else refuseContradiction(earlier, table, at);
    },
    changed(table) {
      const key = foldAscii(table.name);
      if (listed.has(key)) return;
      listed.add(key);
      changed.push(table);
    },
  });
  return changed;
}

export function refuseContradiction(earlier: TableHeader, table: TableHeader, at: number): void {
  const was = earlier.pkIndex!;
  const now = table.pkIndex!;
  if (was.length !== now.length) {
    throw new ChangesetFormatError(`table "${table.name}" appears again with ${now.length} columns, after ${was.length}`, at);
  }
  for (let i = 0; i < now.length; i++) {
    if (was[i] !== now[i]) throw new ChangesetFormatError(`table "${table.name}" appears again with another primary key`, at);
  }
}

/** SQLite's comparison of table names: case-insensitive for ASCII letters only. */
export function foldAscii(name: string): string {
  return /[A-Z]/.test(name) ? name.replace(/[A-Z]+/g, (s) => s.toLowerCase()) : name;
}
