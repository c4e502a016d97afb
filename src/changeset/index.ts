// The changeset codec: SQLite session changesets and patchsets read, written, inverted,
// squashed, converted and rendered. Pure functions over bytes: no files, no database.
export type { Change, ChangeOp, ChangesetKind, SqlValue, TableHeader } from './types.ts';
export { detectKind, iterateChanges, parseChangeset } from './reader.ts';
export { changedTables, withoutTables } from './tables.ts';
export { validateChangeset } from './validate.ts';
export { ChangesetWriter, writeChangeset, writeChunks } from './writer.ts';
export { changesOfPieces } from './piece-changes.ts';
export type { Piece } from './piece-changes.ts';
export { invertChange, invertChangeset } from './invert.ts';
export { concatChangesets } from './concat.ts';
export { changesetToPatchset, patchsetPieces } from './patchset.ts';
export { renderSql, renderJson } from './render.ts';
export type { ColumnNames, JsonChange, JsonValue } from './render.ts';
export { changesetStats, changeStats } from './stats.ts';
export type { ChangeCounts, ChangesetStats } from './stats.ts';
