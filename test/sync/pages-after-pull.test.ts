// A pull that brings entries records the page map for the log's new end (pages-after-pull.ts),
// so the next commit compares only the table changed after it; a replica that only pulls
// (no map kept) reads no pages.
import { describe, it, expect } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { commit } from '../../src/repo/capture/commit.ts';
import { dumpTables } from '../repo/helpers.ts';
import { cloneReplica, firstReplica, newHub, pullWith, pushTo, rows, sql, tempDir } from './helpers.ts';

const SCHEMA = `CREATE TABLE x(id INTEGER PRIMARY KEY, n TEXT); CREATE TABLE y(id INTEGER PRIMARY KEY, n TEXT);
  INSERT INTO x VALUES (1, 'a'), (2, 'b'); INSERT INTO y VALUES (1, 'a'), (2, 'b');`;

describe('the page map after a pull', () => {
  for (const mode of ['delete', 'wal']) {
    it(`lets the next commit compare only the table changed since (journal_mode=${mode})`, async () => {
      const dir = tempDir();
      const hub = await newHub(dir);
      const a = await firstReplica(dir, hub, `PRAGMA journal_mode = ${mode}; ${SCHEMA}`);
      const b = await cloneReplica(dir, hub, 'b');
      const pagesOfB = join(b.paths.dir, 'pages.bin');
      sql(b.paths.db, "UPDATE y SET n = 'b1' WHERE id = 1");
      commit(b); // b commits: it keeps a page map
      await pushTo(b, hub);
      const onlyPulls = await cloneReplica(dir, hub, 'c');
      await pullWith(a, hub);
      sql(a.paths.db, "UPDATE x SET n = 'a1' WHERE id = 2");
      commit(a);
      await pushTo(a, hub);

      expect((await pullWith(b, hub)).pulled).toBe(1);
      expect(rows(b.paths.db, 'x')).toEqual([{ id: 1, n: 'a' }, { id: 2, n: 'a1' }]);
      sql(b.paths.db, "UPDATE y SET n = 'b2' WHERE id = 2");
      const said: string[] = [];
      expect(commit(b, { explain: (line) => said.push(line) })).not.toBeNull();
      expect(said).toEqual([`compared 1 table, those whose pages changed since commit ${b.lastSeq() - 1}: y in 1 rowid range`]);
      expect(dumpTables(b.paths.base)).toEqual(dumpTables(b.paths.db));

      expect((await pullWith(onlyPulls, hub)).pulled).toBe(1);
      expect(existsSync(join(onlyPulls.paths.dir, 'pages.bin'))).toBe(false);
      expect(existsSync(pagesOfB)).toBe(true);
    });
  }
});
