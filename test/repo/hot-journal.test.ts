// A program killed in the middle of a write leaves a hot journal: the next connection that
// opens the database must roll it back, which a read-only connection cannot do ("attempt to
// write a readonly database"). sqlferry's commands open the live database read-write, as any
// SQLite program does, so they recover the database instead of failing on it.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chinookCopy, cli, dumpTables, tempDir } from './helpers.ts';

/** A node:sqlite process that dies (SIGKILL) halfway through a big write transaction. */
function dieMidTransaction(db: string): void {
  const code = `
    const { DatabaseSync } = require('node:sqlite');
    const db = new DatabaseSync(${JSON.stringify(db)});
    db.exec('PRAGMA cache_size = 10; BEGIN IMMEDIATE');
    db.exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000) INSERT INTO Genre(Name) SELECT 'half-written ' || i FROM n");
    process.kill(process.pid, 'SIGKILL');`;
  spawnSync(process.execPath, ['-e', code]);
}

describe('a database left with a hot journal by a killed program', () => {
  it('is rolled back, not refused: verify passes and the half-written rows never appear', () => {
    const dir = tempDir();
    const db = chinookCopy(dir);
    expect(cli(dir, 'init', 'chinook.db').status).toBe(0);
    const before = dumpTables(db);
    dieMidTransaction(db);
    expect(existsSync(`${db}-journal`)).toBe(true);

    const verified = cli(dir, 'verify');
    expect(verified.stderr).toBe('');
    expect(verified.status).toBe(0);
    expect(cli(dir, 'commit').stdout).toBe('Nothing to commit.\n');
    expect(dumpTables(db)).toEqual(before);
  });
});
