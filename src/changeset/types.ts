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
  /**
   * The byte SQLite writes per column: the column's 1-based position in the PRIMARY KEY
   * (PRAGMA table_info's `pk`), 0 for other columns. For PRIMARY KEY(b, a) it is [2, 1], not
   * [1, 1]: applyChangeset compares these bytes with the schema and silently skips the table
   * when they differ. The reader always sets it; writers given none number the PK columns
   * 1, 2, … in column order, which is right only when the key lists columns in table order.
   */
  pkIndex?: number[];
  /**
   * Tables the file names with no change to them, just before this table's header (sqldiff
   * writes a header for every table it compares). They do not affect apply; the reader keeps
   * them, and the writer writes them back, so such a file is rewritten byte for byte.
   */
  emptyBefore?: TableHeader[];
  /** The same, after this table's changes at the very end of the file. */
  emptyAfter?: TableHeader[];
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
