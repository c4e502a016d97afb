// The content digest of a database read from its rows (src/changeset/digest.ts says what it
// is): one scan per tracked table, each value encoded as a changeset encodes it, so a scan
// and the sum of every changeset since the start agree bit for bit. Rows with a NULL in a
// key column are left out, as sessions leave them out of changesets.
import type { DatabaseSync } from 'node:sqlite';
import { ByteWriter } from '../changeset/byte-writer.ts';
import { CellHasher, keyOf, lanesOf, type TableDigests } from '../changeset/digest.ts';
import { quoteIdent } from '../changeset/value.ts';
import { readSchema, trackedTables, type TableInfo } from './schema-read.ts';
import { exactColumnList, readValue } from './values.ts';

/** The digests of every tracked table of `db` (or of the tables named). */
export function scanDigests(db: DatabaseSync, only?: ReadonlySet<string>): TableDigests {
  const digests: TableDigests = new Map();
  for (const table of trackedTables(readSchema(db))) {
    if (only === undefined || only.has(table.name)) scanTable(db, table, digests);
  }
  return digests;
}

function scanTable(db: DatabaseSync, table: TableInfo, digests: TableDigests): void {
  const names = table.columns.map((c) => c.name);
  const pk = table.columns.map((c) => c.pk > 0);
  const stmt = db.prepare(`SELECT ${exactColumnList('t', names)} FROM main.${quoteIdent(table.name)} AS t`);
  stmt.setReadBigInts(true);
  stmt.setReturnArrays(true);
  const hasher = new CellHasher();
  const lanes = lanesOf(digests, table.name);
  for (const row of stmt.iterate() as Iterable<unknown[]>) {
    const encoded = new Array<Uint8Array>(names.length);
    let nullKey = false;
    for (let i = 0; i < names.length; i++) {
      const value = readValue(row[2 * i] as string, row[2 * i + 1]);
      if (pk[i] && value.type === 'null') nullKey = true;
      const w = new ByteWriter(16);
      w.value(value);
      encoded[i] = w.finish();
    }
    if (nullKey) continue;
    hasher.row(table.name, keyOf({ pk }, encoded));
    for (let i = 0; i < encoded.length; i++) hasher.cell(lanes, i, encoded[i]!, 1);
  }
}
