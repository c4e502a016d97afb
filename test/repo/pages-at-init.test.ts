// `init` leaves the page map of the genesis behind (pages-at-init.ts): the first commit then
// compares only the tables changed since, in their key ranges, and writes the entry the full
// comparison writes; when another connection committed between the genesis and the read of the
// pages, no map is left (the first commit compares every table, as without one).
import { describe, it, expect } from 'vitest';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Replica } from '../../src/repo/replica.ts';
import { commit } from '../../src/repo/capture/commit.ts';
import { dataVersion } from '../../src/repo/sqlite.ts';
import { rememberPagesAtInit } from '../../src/repo/pages/pages-at-init.ts';
import { entryPaths } from '../../src/repo/sidecar.ts';
import { tempDir } from './helpers.ts';

const SETUP = `CREATE TABLE a(id INTEGER PRIMARY KEY, n TEXT); CREATE TABLE b(id INTEGER PRIMARY KEY, n TEXT);
  WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 3000) INSERT INTO a SELECT i, printf('%.30c', 'a') FROM s;
  INSERT INTO b SELECT id, n FROM a`;

describe('the page map init leaves', () => {
  for (const mode of ['delete', 'wal']) {
    it(`lets the first commit compare only what changed since, with the full comparison's entry (journal_mode=${mode})`, () => {
      const dir = join(tempDir(), 'replica');
      const path = join(dir, 'app.db');
      mkdirSync(dir);
      const app = new DatabaseSync(path);
      app.exec(`PRAGMA journal_mode = ${mode}; ${SETUP}`);
      const replica = Replica.init(path);
      app.exec("UPDATE b SET n = 'changed' WHERE id % 97 = 3; DELETE FROM b WHERE id BETWEEN 1500 AND 1510; INSERT INTO b VALUES (5000, 'new')");
      app.close();
      // The same replica without the map: the full comparison.
      const full = join(dir, '..', 'full');
      cpSync(dir, full, { recursive: true });
      rmSync(join(full, 'app.db.sqlferry', 'pages.bin'));
      const lines: string[] = [];
      const entry = commit(replica, { explain: (line) => lines.push(line) })!;
      expect(lines[0]).toMatch(/^compared 1 table, those whose pages changed since commit 0: b in \d+ rowid ranges?$/);
      const fullLines: string[] = [];
      const fullEntry = commit(Replica.open(join(full, 'app.db')), { explain: (line) => fullLines.push(line) })!;
      expect(fullLines[0]).toMatch(/^compared every table: no page map/);
      expect(entry.sha256).toBe(fullEntry.sha256);
      expect(readFileSync(entryPaths(replica.paths, 1).bytes).length).toBeGreaterThan(0);
    });
  }

  it('is not left when another connection committed between the genesis and the read of the pages', () => {
    const path = join(tempDir(), 'app.db');
    const app = new DatabaseSync(path);
    app.exec(SETUP);
    const replica = Replica.init(path);
    const pagesFile = join(replica.paths.dir, 'pages.bin');
    rmSync(pagesFile);
    const live = new DatabaseSync(path);
    const versionBefore = dataVersion(live);
    app.exec("UPDATE a SET n = 'meanwhile' WHERE id = 1"); // after the genesis was taken, before its pages are read
    rememberPagesAtInit(replica.paths, live, versionBefore, 0);
    expect(existsSync(pagesFile)).toBe(false);
    rememberPagesAtInit(replica.paths, live, dataVersion(live), 0);
    expect(existsSync(pagesFile)).toBe(true);
    live.close();
    app.close();
  });
});
