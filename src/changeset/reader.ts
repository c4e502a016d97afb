// Reading changesets and patchsets: a lazy iterator over the changes of a byte buffer.
// Hot path for big files: one object per value, numbers through a DataView, text and
// blob bytes as subarrays of the input (no copies), one shared TableHeader per table group.
import { ChangesetFormatError } from '../errors/index.ts';
import type { Change, ChangesetKind, SqlValue, TableHeader } from './types.ts';
import { UNDEFINED } from './value.ts';
import { ByteCursor } from './cursor.ts';
import { hex2, opFromCode, TABLE_CHANGESET, TABLE_PATCHSET } from './format.ts';

/** Whether `bytes` is a changeset or a patchset, from its first table header. Empty input is an (empty) changeset. */
export function detectKind(bytes: Uint8Array): ChangesetKind {
  if (bytes.length === 0) return 'changeset';
  const first = bytes[0];
  if (first === TABLE_CHANGESET) return 'changeset';
  if (first === TABLE_PATCHSET) return 'patchset';
  throw new ChangesetFormatError(`expected a table header ('T' or 'P'), found byte 0x${hex2(first!)}`, 0);
}

/** Every change in `bytes`, in file order, decoded as it is reached. Throws ChangesetFormatError on malformed input. */
export function* iterateChanges(bytes: Uint8Array): Generator<Change> {
  const kind = detectKind(bytes);
  const patchset = kind === 'patchset';
  const marker = patchset ? TABLE_PATCHSET : TABLE_CHANGESET;
  const c = new ByteCursor(bytes);
  let table: TableHeader | undefined;
  let last: TableHeader | undefined; // the table of the last change yielded
  let empty: TableHeader[] = []; // headers seen with no change after them
  while (c.pos < c.end) {
    const at = c.pos;
    const code = bytes[at]!;
    if (code === marker) {
      if (table !== undefined && table !== last) empty.push(table);
      table = c.tableHeader();
      continue;
    }
    if (code === TABLE_CHANGESET || code === TABLE_PATCHSET) {
      throw new ChangesetFormatError(`a ${patchset ? 'changeset' : 'patchset'} table header inside a ${kind}`, at);
    }
    const op = opFromCode(code);
    if (op === undefined) throw new ChangesetFormatError(`unknown change operation 0x${hex2(code)}`, at);
    if (table === undefined) throw new ChangesetFormatError('change before any table header', at);
    c.pos++;
    const flag = c.byte('indirect flag');
    if (flag > 1) throw new ChangesetFormatError(`indirect flag must be 0 or 1, found ${flag}`, c.pos - 1);
    const pk = table.pk;
    let oldValues: SqlValue[] | undefined;
    let newValues: SqlValue[] | undefined;
    if (op === 'INSERT') {
      newValues = c.record(pk, 'all');
    } else if (op === 'DELETE') {
      oldValues = patchset ? c.keyRecord(pk) : c.record(pk, 'all');
    } else if (patchset) {
      // One record: the key columns identify the row, the others are the new values.
      const values = c.record(pk, 'key');
      oldValues = new Array<SqlValue>(pk.length);
      newValues = values;
      for (let i = 0; i < pk.length; i++) {
        if (pk[i]) {
          oldValues[i] = values[i]!;
          newValues[i] = UNDEFINED;
        } else {
          oldValues[i] = UNDEFINED;
        }
      }
    } else {
      oldValues = c.record(pk, 'key');
      newValues = c.record(pk, 'none');
    }
    if (table !== last && empty.length > 0) {
      table.emptyBefore = empty;
      empty = [];
    }
    last = table;
    yield { table, op, indirect: flag === 1, old: oldValues, new: newValues };
  }
  if (table !== undefined && table !== last) empty.push(table);
  if (last !== undefined && empty.length > 0) last.emptyAfter = empty;
}

/** The whole file at once. */
export function parseChangeset(bytes: Uint8Array): { kind: ChangesetKind; changes: Change[] } {
  return { kind: detectKind(bytes), changes: [...iterateChanges(bytes)] };
}
