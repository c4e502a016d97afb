// The pull benchmark's hub entries, recorded without a hub: a table `item` of `existing` rows,
// then 10 changesets of `changes` / 10 changes each (70% inserts, 20% updates of two columns,
// 10% deletes of a fresh slice), each recorded by a session. Shared by the benches that time
// one step of a pull against applyChangeset of the same entries.
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

export interface PullWorkload {
  /** The database before the entries: a file in `dir`. */
  base: string;
  entries: Uint8Array[];
}

export function pullWorkload(dir: string, existing = 30_000, changes = 100_000): PullWorkload {
  const base = join(dir, 'base.db');
  const setup = new DatabaseSync(base);
  setup.exec('CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT, price REAL, qty INTEGER, note TEXT)');
  setup.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${existing}) INSERT INTO item SELECT i, 'item ' || i, i * 0.25, i % 100, 'old' FROM n`);
  setup.close();
  const sourcePath = join(dir, 'source.db');
  copyFileSync(base, sourcePath);
  const source = new DatabaseSync(sourcePath);
  const per = changes / 10;
  const inserts = Math.round(per * 0.7);
  const updates = Math.round(per * 0.2);
  const deletes = per - inserts - updates;
  const entries: Uint8Array[] = [];
  for (let e = 0, nextId = existing + 1; e < 10; e++, nextId += inserts) {
    const session = source.createSession();
    const lo = e * (updates + deletes) + 1;
    source.exec(`WITH RECURSIVE n(i) AS (SELECT ${nextId} UNION ALL SELECT i + 1 FROM n WHERE i < ${nextId + inserts - 1}) INSERT INTO item SELECT i, 'new ' || i, i * 0.5, i % 7, 'fresh' FROM n`);
    source.exec(`UPDATE item SET qty = qty + 1, note = 'changed' WHERE id BETWEEN ${lo} AND ${lo + updates - 1}`);
    source.exec(`DELETE FROM item WHERE id BETWEEN ${lo + updates} AND ${lo + updates + deletes - 1}`);
    entries.push(session.changeset());
    session.close();
  }
  source.close();
  return { base, entries };
}
