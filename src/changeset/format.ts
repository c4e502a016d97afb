// The constants of SQLite's session changeset/patchset format ("CHANGESET FORMAT" and
// "RECORD FORMAT" in ext/session/sqlite3session.c).
import type { ChangeOp, ChangesetKind } from './types.ts';

export const TABLE_CHANGESET = 0x54; // 'T'
export const TABLE_PATCHSET = 0x50; // 'P'

export const OP_CODE: Record<ChangeOp, number> = { INSERT: 0x12, UPDATE: 0x17, DELETE: 0x09 };

export function opFromCode(code: number): ChangeOp | undefined {
  return code === 0x12 ? 'INSERT' : code === 0x17 ? 'UPDATE' : code === 0x09 ? 'DELETE' : undefined;
}

export function tableMarker(kind: ChangesetKind): number {
  return kind === 'patchset' ? TABLE_PATCHSET : TABLE_CHANGESET;
}

/** Record type bytes: SQLITE_INTEGER… SQLITE_NULL, and 0 for "undefined". */
export const TYPE_UNDEFINED = 0;
export const TYPE_INTEGER = 1;
export const TYPE_REAL = 2;
export const TYPE_TEXT = 3;
export const TYPE_BLOB = 4;
export const TYPE_NULL = 5;

export function hex2(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}

/** SQLite's hard limit on columns per table (SQLITE_MAX_COLUMN cannot exceed it). */
export const MAX_COLUMNS = 32767;
