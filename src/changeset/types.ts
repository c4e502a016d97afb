// The in-memory model of SQLite's session changeset/patchset format.
// See the "CHANGESET FORMAT" comment in SQLite's ext/session/sqlite3session.c.

/** One SQLite value as stored in a changeset record. */
export type SqlValue =
  | { type: 'integer'; value: bigint }
  | { type: 'real'; value: number }
  | { type: 'text'; value: Uint8Array } // raw UTF-8 bytes, kept exact even when not valid UTF-8
  | { type: 'blob'; value: Uint8Array }
  | { type: 'null' }
  | { type: 'undefined' }; // "not present": an unchanged column of an UPDATE, or a non-PK column of a patchset

export type ChangeOp = 'INSERT' | 'UPDATE' | 'DELETE';

export interface TableHeader {
  name: string;
  /** One entry per column: true where the column is part of the primary key. */
  pk: boolean[];
}

export interface Change {
  table: TableHeader;
  op: ChangeOp;
  indirect: boolean;
  /** old.* values (DELETE, UPDATE); for a patchset DELETE only PK columns hold values. */
  old: SqlValue[] | undefined;
  /** new.* values (INSERT, UPDATE). */
  new: SqlValue[] | undefined;
}

export type ChangesetKind = 'changeset' | 'patchset';
