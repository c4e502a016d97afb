// The capture's inserts without the second join, when counting proves them appended. The
// inserts are the live rows whose key no base row has; finding them takes a scan of the live
// table with a lookup into the base for every row (capture.ts). When the key is the rowid and
// every new key is above the base's largest, they are just the live rows above it, which the
// rowid reaches directly — the common case of an application's new rows. The proof, with the
// deletes already counted by the first join (base keys that no live row has): the live rows at
// or below the base's largest key number the base rows that are not deleted; all base keys are
// such live keys, so then no other live key is there. Two counts of whole tables, which SQLite
// takes from the pages' cell counts, cost about two thirds of the join they spare (and are
// paid on top of it where the proof fails: a new row in a gap, a key reused); the page map's
// cell counts give both without reading a page, when it knows them (key-ranges.ts `rows`).
import type { DatabaseSync } from 'node:sqlite';
import { quoteIdent } from '../../changeset/value.ts';
import { rowidKey } from '../pages/key-ranges.ts';

/** New rows proven appended: the live rows whose `key` (the rowid) is above `above`; all when null (an empty base). */
export interface Appended {
  key: string;
  above: bigint | null;
}

/**
 * The inserts, when they can be shown cheaply to be exactly the rows above the base's
 * largest key. `deletes`: base rows that no live row has, as counted. `base` and `live` name
 * the schemas; the table has the same name in both. `scan`: the rows to count, when only
 * those in some key ranges can differ (key-ranges.ts scansOf; the others are the same on both
 * sides, so the proof holds within the ranges); the whole tables when absent (the proof holds
 * for them too: the deletes, counted within the ranges, are all of the table's). `rows`: both
 * tables' rows, known without counting (page-map.ts rowsOf); then only the live rows above the
 * base's largest key are counted.
 */
export function appendedRows(db: DatabaseSync, table: string, base: string, live: string, deletes: number, scan?: (schema: string, alias: string) => string, rows?: { base: bigint; live: bigint }): Appended | undefined {
  const key = rowidKey(db, live, table);
  if (typeof key !== 'string' || rowidKey(db, base, table) !== key) return undefined;
  const k = quoteIdent(key);
  const t = quoteIdent(table);
  const from = scan ?? ((schema: string, alias: string) => `${quoteIdent(schema)}.${t} AS ${alias}`);
  const count = (schema: string, where = ''): bigint => BigInt((db.prepare(`SELECT count(*) AS n FROM ${from(schema, 'A')} ${where}`).get() as { n: bigint | number }).n);
  const largest = (db.prepare(`SELECT max(${k}) AS k FROM ${quoteIdent(base)}.${t}`).get() as { k: bigint | null }).k;
  if (largest === null) return { key, above: null }; // an empty base: every live row is new
  const above = BigInt(largest);
  if (rows !== undefined) return rows.live - count(live, `WHERE A.${k} > ${above}`) === rows.base - BigInt(deletes) ? { key, above } : undefined;
  const atOrBelow = scan === undefined ? count(live) - count(live, `WHERE A.${k} > ${above}`) : count(live, `WHERE A.${k} <= ${above}`);
  return atOrBelow === count(base) - BigInt(deletes) ? { key, above } : undefined;
}
