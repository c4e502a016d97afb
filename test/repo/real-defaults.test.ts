// A column given to a table by ALTER TABLE … ADD COLUMN with REAL affinity and a DEFAULT: rows
// written before it read the default as a REAL, but SQLite's sessions record it as written
// (INTEGER 0 for DEFAULT 0). Commit and exec must still log what the rows hold (src/repo/capture/real-defaults.ts).
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { cli, sqlite3, tempDir } from './helpers.ts';

function replicaWithAddedColumns(): { dir: string; db: string } {
  const dir = tempDir();
  const db = join(dir, 'app.db');
  sqlite3(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT); INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, 'three');");
  expect(cli(dir, '--db', db, 'init').status).toBe(0);
  sqlite3(db, "ALTER TABLE t ADD COLUMN x REAL DEFAULT 0; ALTER TABLE t ADD COLUMN y FLOAT DEFAULT '2'; ALTER TABLE t ADD COLUMN z DOUBLE DEFAULT -0.5;");
  expect(cli(dir, '--db', db, 'commit', '-m', 'columns').status).toBe(0);
  return { dir, db };
}

const edit = "DELETE FROM t WHERE id = 1; UPDATE t SET a = 'TWO' WHERE id = 2; UPDATE t SET y = 7 WHERE id = 3;";

describe('REAL columns added with a DEFAULT, in rows written before', () => {
  for (const how of ['commit', 'exec'] as const) {
    it(`${how}: logs the rows as they read, so verify adds the log up to the tables`, () => {
      const { dir, db } = replicaWithAddedColumns();
      if (how === 'commit') {
        sqlite3(db, edit);
        expect(cli(dir, '--db', db, 'commit', '-m', 'edit').status).toBe(0);
      } else expect(cli(dir, '--db', db, 'exec', edit).status).toBe(0);
      const shown = cli(dir, '--db', db, 'show', '2');
      expect(shown.stdout).toContain(`UPDATE "t" SET "a" = 'TWO' WHERE "id" = 2;`);
      expect(shown.stdout).toContain(`UPDATE "t" SET "y" = 7.0 WHERE "id" = 3;`);
      const verified = cli(dir, '--db', db, 'verify');
      expect(verified.stderr).toBe('');
      expect(verified.status).toBe(0);
    });
  }
});
