// The fast "nothing to commit" answer must never hide a change: edits that keep the file
// size and land within the same clock tick as the previous capture are still committed.
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Replica } from '../../src/repo/replica.ts';
import { commit } from '../../src/repo/capture/commit.ts';
import { saveFingerprint, takeStamp, unchangedSince } from '../../src/repo/pages/fingerprint.ts';
import { dumpTables, tempDir } from './helpers.ts';

describe('the nothing-changed fast path', () => {
  for (const mode of ['delete', 'wal']) {
    it(`sees every same-size edit made right after a commit (journal_mode=${mode})`, () => {
      const dir = tempDir();
      const path = join(dir, `f-${mode}.db`);
      const writer = new DatabaseSync(path);
      writer.exec(`PRAGMA journal_mode = ${mode}; CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER); INSERT INTO t VALUES (1, 1000);`);
      const replica = Replica.init(path);
      for (let i = 1; i <= 40; i++) {
        writer.exec(`UPDATE t SET v = ${1000 + i}`); // same size, in place: only timestamps move
        expect(commit(replica), `edit ${i}`).not.toBeNull();
        if (i % 8 === 0) expect(commit(replica)).toBeNull();
      }
      writer.close();
      expect(dumpTables(replica.paths.base)).toEqual(dumpTables(path));
    });
  }

  it('does not trust a stamp taken in the same clock tick as the last write (coarse timestamps)', () => {
    const dir = tempDir();
    const path = join(dir, 'r.db');
    new DatabaseSync(path).exec('CREATE TABLE t(id INTEGER PRIMARY KEY)');
    const replica = Replica.init(path);
    const stamp = takeStamp(replica.paths);
    // As on a filesystem with 1 s timestamps: the write and the clock reading share a tick.
    const racy = { ...stamp, clockNs: stamp.db.mtimeNs };
    saveFingerprint(replica.paths, racy, 0);
    expect(unchangedSince(replica.paths, takeStamp(replica.paths), 0)).toBe(false);
    saveFingerprint(replica.paths, stamp, 0);
    expect(unchangedSince(replica.paths, takeStamp(replica.paths), 0)).toBe(true);
  });
});
