// status and diff answer "nothing changed" from the fingerprint (no table read, base.db not
// opened), yet never hide an edit: same-size edits right after a commit are always seen.
import { describe, it, expect } from 'vitest';
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Replica } from '../../src/repo/replica.ts';
import { commit } from '../../src/repo/capture/commit.ts';
import { status } from '../../src/repo/capture/status.ts';
import { withUncommittedDiff } from '../../src/repo/capture/diff.ts';
import { tempDir } from './helpers.ts';

function pending(replica: Replica): { changes: number; compared: ReadonlySet<string> | 'all' } {
  return replica.withLock(() => withUncommittedDiff(replica.paths, (diff) => ({ changes: [...diff.changes()].length, compared: diff.compared.tables })));
}

describe('status and diff use the fingerprint', () => {
  for (const mode of ['delete', 'wal']) {
    it(`see every same-size edit made right after a commit or a clean status (journal_mode=${mode})`, () => {
      const path = join(tempDir(), `s-${mode}.db`);
      const writer = new DatabaseSync(path);
      writer.exec(`PRAGMA journal_mode = ${mode}; CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER); INSERT INTO t VALUES (1, 1000);`);
      const replica = Replica.init(path);
      for (let i = 1; i <= 18; i++) {
        writer.exec(`UPDATE t SET v = ${1000 + i}`); // same size, in place: only timestamps move
        expect(status(replica).tables, `edit ${i}`).toEqual([{ table: 't', inserted: 0, updated: 1, deleted: 0 }]);
        expect(pending(replica).changes, `edit ${i}`).toBe(1);
        if (i % 3 === 0) {
          // status on a clean database records the fingerprint, as a commit does
          writer.exec(`UPDATE t SET v = ${1000 + i - 1}`);
          expect(status(replica).clean, `undo ${i}`).toBe(true);
          writer.exec(`UPDATE t SET v = ${1000 + i}`);
          expect(status(replica).clean, `redo ${i}`).toBe(false);
        }
        expect(commit(replica), `edit ${i}`).not.toBeNull();
        expect(status(replica).clean).toBe(true);
      }
      writer.close();
    });
  }

  it('reads no table and opens no base.db when nothing changed', () => {
    const path = join(tempDir(), 'quiet.db');
    new DatabaseSync(path).exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v); INSERT INTO t VALUES (1, 2); CREATE VIRTUAL TABLE f USING fts5(x)');
    const replica = Replica.init(path);
    expect(commit(replica)).toBeNull(); // records the fingerprint
    renameSync(replica.paths.base, replica.paths.base + '.away'); // any read of base.db would now fail
    const s = status(replica);
    expect(s.clean).toBe(true);
    expect(s.commit).toBe(0);
    expect(pending(replica)).toEqual({ changes: 0, compared: new Set() });
    renameSync(replica.paths.base + '.away', replica.paths.base);
    new DatabaseSync(path).exec('UPDATE t SET v = 3');
    expect(pending(replica)).toEqual({ changes: 1, compared: new Set(['t']) }); // the page map tells which
  });
});
