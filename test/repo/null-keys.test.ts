// Rows with a NULL in a key column cannot be captured (sessions skip them too): status,
// commit and sync say how many rows of which table, never skip them without a word.
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { cli, sqlite3, tempDir } from './helpers.ts';

describe('rows with a NULL in a key column', () => {
  it('are counted per table by status (text and --json) and commit', () => {
    const dir = tempDir();
    const db = join(dir, 'proj.db');
    sqlite3(db, `CREATE TABLE usage(auth TEXT, code TEXT, v, PRIMARY KEY (auth, code));
      CREATE TABLE keyed(id INTEGER PRIMARY KEY, v);
      INSERT INTO usage VALUES (NULL, 'a', 1), (NULL, 'b', 2), ('EPSG', 'c', 3); INSERT INTO keyed VALUES (1, 1);`);
    expect(cli(dir, 'init', 'proj.db').status).toBe(0);
    sqlite3(db, `DELETE FROM usage WHERE code = 'a'; INSERT INTO usage VALUES ('EPSG', NULL, 4);`);
    const json = JSON.parse(cli(dir, 'status', '--json').stdout);
    expect(json.nullKeys).toEqual([{ table: 'usage', rows: 2 }]);
    expect(cli(dir, 'status').stdout).toContain('Not tracked: 2 rows of usage with a NULL in a key column');
    const committed = cli(dir, 'commit', '-m', 'x');
    expect(committed.status).toBe(0);
    expect(committed.stderr).toContain('note: 2 rows of usage have a NULL in a key column: sqlferry cannot capture or sync them');
  });
});
