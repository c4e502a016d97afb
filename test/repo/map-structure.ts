// What a page map keeps of each page (owner, leaf, parent, kind), from a map or from SQLite's
// dbstat table walked whole (dbstat-walk.ts): the reference the maps that commits save are
// checked against.
import type { DatabaseSync } from 'node:sqlite';
import { dbstatWalk } from '../../src/repo/dbstat-walk.ts';
import type { PageMap } from '../../src/repo/page-map.ts';

/** Per page: owner, leaf, parent, kind. */
export function structure(map: PageMap): string[] {
  return [...map.owners].map((o, p) => `${p + 1}: ${o < 0 ? '-' : map.tables[o]} ${map.leafOf[p]} ${map.parents[p]} ${map.kinds[p]}`);
}

/** The same per page of the database `db` reads now (inside a read transaction), from dbstat. */
export function structureByDbstat(db: DatabaseSync): string[] {
  const count = Number((db.prepare('PRAGMA page_count').get() as { page_count: unknown }).page_count);
  const tableOf = new Map((db.prepare(`SELECT name, tbl_name AS tbl FROM sqlite_schema WHERE type IN ('table', 'index') AND rootpage > 0`).all() as Array<{ name: string; tbl: string }>).map((b) => [b.name, b.tbl]));
  const out = Array.from({ length: count }, (_, p) => `${p + 1}: - -1 -1 0`);
  for (const [btree, found] of dbstatWalk(db, 'main', null)) {
    const t = tableOf.get(btree);
    if (t === undefined) continue;
    found.pages.forEach((p, i) => {
      if (p < count) out[p] = `${p + 1}: ${t} ${btree === t ? found.leafOf(i) : -1} ${found.parents[i]} ${found.kinds[i]}`;
    });
  }
  return out;
}
