// Squashing a sequence of changesets (or patchsets) into one, with sqlite3changegroup's
// semantics: every row ends with at most one change, equal on apply to the whole sequence.
// Tables come out in order of first appearance, as changegroup writes them; within a table,
// rows come in order of first appearance (changegroup uses its hash order; apply does not care).
import { SqlferryError } from '../errors/index.ts';
import type { Change, ChangesetKind, TableHeader } from './types.ts';
import { detectKind, iterateChanges } from './reader.ts';
import { pkBytes, writeChangeset } from './writer.ts';
import { mergeChanges } from './merge.ts';
import { rowKey } from './row-key.ts';

interface TableGroup {
  table: TableHeader;
  rows: Map<string, Change>;
}

function sameShape(a: TableHeader, b: TableHeader): boolean {
  const pa = pkBytes(a);
  const pb = pkBytes(b);
  return pa.length === pb.length && pa.every((v, i) => v === pb[i]);
}

export function concatChangesets(parts: Uint8Array[]): Uint8Array {
  let kind: ChangesetKind | undefined;
  const groups = new Map<string, TableGroup>();
  parts.forEach((bytes, index) => {
    if (bytes.length === 0) return;
    const partKind = detectKind(bytes);
    if (kind !== undefined && partKind !== kind) {
      throw new SqlferryError('CHANGESET_KIND_MISMATCH', `cannot concatenate a ${partKind} (input ${index + 1}) with ${kind}s`, {
        data: { index },
        hint: 'convert the changesets to patchsets first, or concatenate only changesets',
      });
    }
    kind = partKind;
    const patchset = partKind === 'patchset';
    for (const change of iterateChanges(bytes)) {
      // changegroup matches table names case-insensitively (ASCII), like SQL does.
      const name = change.table.name.replace(/[A-Z]+/g, (s) => s.toLowerCase());
      let group = groups.get(name);
      if (group === undefined) {
        // changegroup writes no header for a table without changes.
        const { emptyBefore: _before, emptyAfter: _after, ...table } = change.table;
        group = { table, rows: new Map() };
        groups.set(name, group);
      } else if (!sameShape(group.table, change.table)) {
        throw new SqlferryError('CHANGESET_SCHEMA_MISMATCH', `table "${change.table.name}" has different columns or primary key in input ${index + 1}`, {
          data: { table: change.table.name, index },
        });
      }
      const key = rowKey(change);
      const existing = group.rows.get(key);
      const ownChange = change.table === group.table ? change : { ...change, table: group.table };
      if (existing === undefined) {
        group.rows.set(key, ownChange);
        continue;
      }
      const merged = mergeChanges(existing, ownChange, patchset);
      if (merged === undefined) group.rows.delete(key);
      else group.rows.set(key, merged);
    }
  });
  return writeChangeset(kind ?? 'changeset', allChanges(groups));
}

function* allChanges(groups: Map<string, TableGroup>): Generator<Change> {
  for (const group of groups.values()) yield* group.rows.values();
}
