// pages.bin is written over the map it was made from, in place and unsynced (page-map-file.ts):
// a crash can leave it torn (part new, part old), cut short, or whole but from the commit
// before (a crash after the entry was written, before its map). Each is refused, and the
// commit compares every table: the changeset is the full comparison's, and it records a map
// the next commit trusts again.
import { describe, it, expect } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { writeChangeset } from '../../src/changeset/index.ts';
import { commit } from '../../src/repo/capture/commit.ts';
import { withUncommittedDiff, withWorkingDiff, type WorkingDiff } from '../../src/repo/capture/diff.ts';
import { Replica } from '../../src/repo/replica.ts';
import { tempDir } from './helpers.ts';

const changeset = (d: WorkingDiff): Buffer => Buffer.from(writeChangeset('changeset', d.changes()));

describe('the page map left by a crash', () => {
  it('is refused torn, cut short or from the commit before, and the commit gives the full comparison’s changeset', () => {
    const path = join(tempDir(), 'crash.db');
    const app = new DatabaseSync(path);
    app.exec(`PRAGMA page_size = 512; CREATE TABLE a(id INTEGER PRIMARY KEY, n TEXT); CREATE TABLE b(id INTEGER PRIMARY KEY, n TEXT);
      WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 2000) INSERT INTO a SELECT i, printf('%08d', i) FROM s;
      INSERT INTO b SELECT id, n FROM a`);
    const replica = Replica.init(path);
    const map = join(replica.paths.dir, 'pages.bin');
    let edits = 0;
    const edit = (): void => void app.exec(`UPDATE ${edits % 2 ? 'a' : 'b'} SET n = printf('%08d', -id) WHERE id = ${100 + 37 * edits++}`);
    const commitSays = (): string => {
      const lines: string[] = [];
      expect(commit(replica, { explain: (line) => lines.push(line) })).not.toBeNull();
      return lines[0]!;
    };
    edit();
    commitSays(); // the first map
    const leftBy: Record<string, (before: Buffer, now: Buffer) => Buffer> = {
      'a crash while writing it': (before, now) => Buffer.concat([now.subarray(0, now.length >> 1), before.subarray(now.length >> 1)]),
      'a crash before it was whole': (_, now) => now.subarray(0, now.length - 4096),
      'a crash after the entry, before its map': (before) => before,
    };
    for (const [crash, bytes] of Object.entries(leftBy)) {
      const before = readFileSync(map);
      edit();
      expect(commitSays()).toMatch(/^compared 1 table, those whose pages changed since commit \d+: [ab] in 1 rowid range$/);
      const now = readFileSync(map);
      expect(now.length).toBe(before.length);
      writeFileSync(map, bytes(before, now));
      edit();
      replica.withLock(() => {
        const fast = withUncommittedDiff(replica.paths, (d) => ({ bytes: changeset(d), why: d.compared.why }));
        const full = withWorkingDiff(replica.paths.db, replica.paths.base, changeset);
        expect(fast.why, crash).toMatch(/^compared every table: the page map is (damaged|from another commit) \(this commit records one\)$/);
        expect(fast.bytes.equals(full), crash).toBe(true);
        expect(full.length).toBeGreaterThan(0);
      });
      expect(commitSays()).toMatch(/^compared every table: the page map is/);
      edit();
      expect(commitSays(), crash).toMatch(/^compared 1 table/); // trusted again
    }
    app.close();
  });
});
