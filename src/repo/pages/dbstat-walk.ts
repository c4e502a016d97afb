// Every page of b-trees, as SQLite's dbstat table lists them, with what the page map keeps of
// each: its kind, and its parent (the page whose cell or chain points to it), found from dbstat's
// paths: a b-tree page's path is its parent's plus its place ("/" the root, "/000/01a/"), an
// overflow page's is its cell's page's path, the cell, then its place in the chain in hex
// ("/000/01a/003+00000a"); the first page of a chain hangs from the cell's page.
import type { DatabaseSync } from 'node:sqlite';
import { PageKind, UNKNOWN_LEAF } from './btree-walk.ts';

interface DbstatRow {
  name: string;
  pageno: number | bigint;
  pagetype: string;
  path: string;
}

/** One b-tree's pages, as page-map.ts keeps them (btree-walk.ts PagesFound), each page's leaf found on demand. */
interface Found {
  pages: number[];
  parents: number[];
  kinds: PageKind[];
  leafOf(i: number): number;
}

interface Listed {
  rows: Array<{ p: number; kind: PageKind; parentPath: string | null; cellPage: string }>;
  byPath: Map<string, number>;
}

/** Per b-tree name, its pages; all b-trees of database `schema`, or those of `name` only. */
export function dbstatWalk(db: DatabaseSync, schema: string, name: string | null): Map<string, Found> {
  const sql = `SELECT name, pageno, pagetype, path FROM dbstat('${schema}')${name === null ? '' : ' WHERE name = ?'}`;
  const rows = (name === null ? db.prepare(sql).iterate() : db.prepare(sql).iterate(name)) as Iterable<DbstatRow>;
  const listed = new Map<string, Listed>();
  for (const row of rows) {
    let tree = listed.get(row.name);
    if (tree === undefined) listed.set(row.name, (tree = { rows: [], byPath: new Map() }));
    const p = Number(row.pageno) - 1;
    const path = row.path;
    if (row.pagetype === 'overflow') {
      const plus = path.lastIndexOf('+');
      const place = parseInt(path.slice(plus + 1), 16);
      const cellPage = path.slice(0, path.lastIndexOf('/') + 1);
      tree.byPath.set(`${path.slice(0, plus)}+${place}`, p);
      tree.rows.push({ p, kind: PageKind.Overflow, parentPath: place === 0 ? cellPage : `${path.slice(0, plus)}+${place - 1}`, cellPage });
    } else {
      tree.byPath.set(path, p);
      const parentPath = path === '/' ? null : path.slice(0, path.slice(0, -1).lastIndexOf('/') + 1);
      tree.rows.push({ p, kind: row.pagetype === 'leaf' ? PageKind.Leaf : PageKind.Interior, parentPath, cellPage: path });
    }
  }
  const out = new Map<string, Found>();
  for (const [btree, tree] of listed) {
    const kindAt = new Map(tree.rows.map((r) => [r.p, r.kind]));
    const leafOf = (i: number): number => {
      const r = tree.rows[i]!;
      if (r.kind === PageKind.Leaf) return r.p;
      if (r.kind !== PageKind.Overflow) return -1;
      const cellPage = tree.byPath.get(r.cellPage);
      return cellPage !== undefined && kindAt.get(cellPage) === PageKind.Leaf ? cellPage : UNKNOWN_LEAF;
    };
    out.set(btree, {
      pages: tree.rows.map((r) => r.p),
      parents: tree.rows.map((r) => (r.parentPath === null ? -1 : (tree.byPath.get(r.parentPath) ?? -1))),
      kinds: tree.rows.map((r) => r.kind),
      leafOf,
    });
  }
  return out;
}
