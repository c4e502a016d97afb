// Which tables a capture compares: only those whose pages changed since the last commit
// (page-map.ts), and in those keyed by their rowid only the key ranges of the changed leaves
// (key-ranges.ts); or all of them whenever that cannot be known for sure. Called inside the
// capture's read transaction, right after its first read, with a stamp of the live files
// taken before that transaction began.
//
// The pages are read (page-read.ts) while this transaction holds its read lock. In rollback
// mode no writer can touch the database file then (a writer mid-transaction, its journal
// present, has not written it yet, or waits for this lock): the pages read are exactly this
// transaction's, whatever was written before. In WAL mode no checkpoint can overwrite a page
// this transaction reads, but frames appended after it began are in the file: a write that
// landed between the stamp and the pages' read moves the files' stat (the stamp's clock is
// past their timestamps), and the scope falls back to every table; a write before the stamp
// was committed before the transaction began, so both see it — except the WAL's last
// transaction, whose frames a writer may have written but not yet published to readers: its
// pages are recorded as unknown, and compared at the next capture. In WAL mode, a main file
// that stats as the last map recorded it is not read again, only the chunks the WAL touches.
import type { DatabaseSync } from 'node:sqlite';
import { clockPastWrites, sameFile, statLive, unchangedSinceStamp, type Stamp } from './fingerprint.ts';
import { hasEntry } from '../log/log-end.ts';
import { readMeta } from '../log/log.ts';
import { changedTables, layoutOf, nextPageMap, type PageMap } from './page-map.ts';
import { loadPageMap, savePageMap } from './page-map-file.ts';
import { PageMapChangedError } from './stored-values.ts';
import { readPageImages, type EarlierHashes, type PageImages } from './page-read.ts';
import { changedRanges, rowidKey, type KeyRanges } from './key-ranges.ts';
import type { SidecarPaths } from '../sidecar.ts';

/** Which tables the row comparison reads: `all`, or only those named, of which those in `ranges` only within their key ranges; and why, for -v. */
export interface Compared {
  tables: ReadonlySet<string> | 'all';
  ranges?: ReadonlyMap<string, KeyRanges>;
  why: string;
}

export interface PageScope {
  compared: Compared;
  /** The page map of what this transaction reads, to save if it becomes commit `seq`; null when the pages could not be read for sure. */
  pageMap(): PageMap | null;
}

export function compareEverything(why: string): PageScope {
  return { compared: { tables: 'all', why: `compared every table: ${why}` }, pageMap: () => null };
}

/** Inside the capture's read transaction on `db` (the live database is its `schema`), which holds log entry `seq` as its base. */
export function pageScope(paths: SidecarPaths, db: DatabaseSync, before: Stamp, seq: number, schema = 'main'): PageScope {
  return scopeAgainst(paths, db, before, pageMapAt(paths, seq), `commit ${seq}`, schema);
}

/** The page map saved for log entry `seq`, or why there is none. */
export function pageMapAt(paths: SidecarPaths, seq: number): PageMap | string {
  return loadPageMap(paths, entryId(paths, seq));
}

/**
 * pageScope against the map `old` (of the database as of `since`). `lastWriteSeen`: the
 * caller proved the WAL's last transaction is in this read (its own, committed before), so its
 * pages are known.
 */
export function scopeAgainst(paths: SidecarPaths, db: DatabaseSync, before: Stamp, old: PageMap | string, since: string, schema = 'main', lastWriteSeen = false): PageScope {
  // In WAL mode an unchanged main file needs only the chunks the WAL touches read (page-read.ts).
  const sameMain = typeof old !== 'string' && old.mainFile !== null && sameFile(old.mainFile, before.db) && clockPastWrites(before);
  const read = readOrWhyNot(paths, typeof old === 'string' ? null : old, sameMain);
  if (typeof read === 'string') return compareEverything(read);
  const images = lastWriteSeen || publishedBefore(before, read) ? { ...read, lastWritten: [] } : read;
  if (images.rollbackMode) {
    if (images.ino !== before.db.ino || images.ino !== statLive(paths).db.ino) return compareEverything('the database file was replaced');
  } else {
    if (!clockPastWrites(before)) return compareEverything('the filesystem clock did not move past the last write');
    if (!unchangedSinceStamp(paths, before)) return compareEverything('the database was written while its pages were read');
  }
  const count = Number((db.prepare(`PRAGMA ${schema}.page_count`).get() as { page_count: unknown }).page_count);
  const size = Number((db.prepare(`PRAGMA ${schema}.page_size`).get() as { page_size: unknown }).page_size);
  if (count !== images.pageCount || size !== images.pageSize) return compareEverything(`SQLite reads ${count} pages of ${size} bytes, the files hold ${images.pageCount} of ${images.pageSize}`);
  const layout = layoutOf(db, schema);
  const mainFile = images.rollbackMode ? null : before.db; // checked above: unchanged since the clock passed it
  if (typeof old === 'string' || old.pageSize !== images.pageSize) {
    const why = typeof old === 'string' ? old : 'the page size changed';
    return { ...compareEverything(`${why} (this commit records one)`), pageMap: () => ({ ...nextPageMap(db, null, images, layout, 'all', schema), mainFile }) };
  }
  let changed: Set<string>;
  let next: PageMap;
  let ranges: Map<string, KeyRanges>;
  let how: Map<string, string>;
  try {
    changed = withVirtualOwners(db, schema, changedTables(old, images, layout));
    next = { ...nextPageMap(db, old, images, layout, changed, schema), mainFile };
    ({ ranges, how } = narrowed(db, schema, old, next, changed));
  } catch (err) {
    if (err instanceof PageMapChangedError) return compareEverything(err.message); // the last map is read from pages.bin as needed
    throw err;
  }
  for (const t of next.dbstatWalked) how.set(t, `${how.get(t)}, walked with dbstat`);
  const names = [...changed].sort();
  const listed = (names.length <= 5 ? names : names.slice(0, 5)).map((t) => `${t} ${how.get(t)}`).join(', ') + (names.length > 5 ? '…' : '');
  return {
    compared: { tables: changed, ranges, why: `compared ${changed.size} table${changed.size === 1 ? '' : 's'}, those whose pages changed since ${since}${listed ? `: ${listed}` : ''}` },
    pageMap: () => next,
  };
}

/** The changed tables whose rows can be narrowed to key ranges (key-ranges.ts), and how each is compared, for -v. */
function narrowed(db: DatabaseSync, schema: string, old: PageMap, next: PageMap, changed: ReadonlySet<string>): { ranges: Map<string, KeyRanges>; how: Map<string, string> } {
  const how = new Map<string, string>();
  const keys = new Map<string, string>();
  for (const t of changed) {
    const key = old.layout[t] === next.layout[t] ? rowidKey(db, schema, t) : { whole: 'its schema or root page changed' };
    if (typeof key === 'string') keys.set(t, key);
    else how.set(t, `whole (${key.whole})`);
  }
  const ranges = new Map<string, KeyRanges>();
  for (const [t, { ranges: found, share, base, live }] of changedRanges(old, next, new Set(keys.keys()))) {
    ranges.set(t, { column: keys.get(t)!, ranges: found, share, ...(base !== null && live !== null ? { rows: { base, live } } : {}) });
    how.set(t, `in ${found.length} rowid range${found.length === 1 ? '' : 's'}`);
  }
  return { ranges, how };
}

/**
 * A virtual table (FTS, R*Tree) owns no pages: its rows live in its shadow tables, named
 * `<table>_<suffix>`. A changed shadow table marks its virtual table changed.
 */
function withVirtualOwners(db: DatabaseSync, schema: string, changed: Set<string>): Set<string> {
  const virtual = db.prepare(`SELECT name FROM ${schema}.sqlite_schema WHERE type = 'table' AND rootpage = 0 AND sql LIKE 'CREATE VIRTUAL TABLE%'`).all() as Array<{ name: string }>;
  const fold = (name: string) => name.replace(/[A-Z]+/g, (c) => c.toLowerCase());
  for (const { name } of virtual) {
    const prefix = `${fold(name)}_`;
    if ([...changed].some((t) => fold(t).startsWith(prefix))) changed.add(name);
  }
  return changed;
}

/**
 * The WAL's last transaction read was published to readers before `before` was taken, so before
 * this read transaction began: it is in this read, and its pages are known (wal-index.ts). Holds
 * only if the files are unchanged since `before`, which the caller checks.
 */
function publishedBefore(before: Stamp, read: PageImages): boolean {
  const published = before.published;
  return read.walEnd !== null && published != null && published.salt === read.walEnd.salt && published.frames === read.walEnd.frames;
}

/** The pages, or why not: a file this process may not read (permissions…) costs a full comparison, not the command. */
function readOrWhyNot(paths: SidecarPaths, earlier: EarlierHashes | null, sameMainFile: boolean): PageImages | string {
  try {
    return readPageImages(paths.db, earlier, sameMainFile, paths.dir);
  } catch (err) {
    return `its pages could not be read (${(err as Error).message})`;
  }
}

/** Record `map` as the live database's pages at log entry `seq` (just written, or found equal). */
export function rememberPages(paths: SidecarPaths, map: PageMap | null, seq: number): void {
  if (map !== null) savePageMap(paths, map, entryId(paths, seq));
}

/** A log entry, by number, content and parent: a number alone may name another entry after a rebase. */
function entryId(paths: SidecarPaths, seq: number): string {
  if (!hasEntry(paths, seq)) return `${seq} genesis`;
  const meta = readMeta(paths, seq);
  return `${seq} ${meta.sha256} ${meta.parent ?? ''}`;
}
