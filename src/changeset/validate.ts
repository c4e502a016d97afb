// PLACEHOLDER (dropped at integration; the codec helper writes the real one): the file parses
// as `kind`, or ChangesetFormatError with the offset of the fault.
import { ChangesetFormatError } from '../errors/index.ts';
import type { ChangesetKind } from './types.ts';
import { detectKind } from './reader.ts';
import { changedTables } from './tables.ts';

export function validateChangeset(bytes: Uint8Array, kind: ChangesetKind): void {
  if (bytes.length === 0) return;
  if (detectKind(bytes) !== kind) throw new ChangesetFormatError(`expected a ${kind}`, 0);
  changedTables(bytes);
}
