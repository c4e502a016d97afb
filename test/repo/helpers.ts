// Shared test helpers: temp folders, running the CLI, and an exact dump of a database's
// tables (types and bytes, REAL bit for bit) to compare two databases.
import { mkdtempSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { keyedColumns, readSchema, trackedTables } from '../../src/repo/schema/schema-read.ts';
import { quoteIdent } from '../../src/changeset/value.ts';
import { BIN } from '../cli-bin.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sqlferry-repo-'));
  dirs.push(dir);
  return dir;
}

export const CHINOOK = fileURLToPath(new URL('../../fixtures/Chinook_Sqlite.sqlite', import.meta.url));

export function chinookCopy(dir: string, name = 'chinook.db'): string {
  const path = join(dir, name);
  copyFileSync(CHINOOK, path);
  return path;
}

export function cli(cwd: string, ...args: string[]): { status: number; stdout: string; stderr: string } {
  return cliWith({}, cwd, ...args);
}

/** `cli` with more environment variables (a shorter busy timeout, say). */
export function cliWith(env: Record<string, string>, cwd: string, ...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function sqlite3(db: string, sql: string): string {
  const r = spawnSync('/usr/bin/sqlite3', [db], { input: sql, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sqlite3 failed: ${r.stderr}`);
  return r.stdout;
}

function exact(v: unknown): string {
  if (v === null) return 'N';
  if (typeof v === 'bigint') return `I${v}`;
  if (typeof v === 'number') return `R${Buffer.from(new Float64Array([v]).buffer).toString('hex')}`;
  return `B${Buffer.from(v as Uint8Array).toString('hex')}`;
}

/** Every tracked table's rows with a non-NULL key, exactly: per column its type and bytes, rows in key order. */
export function dumpTables(path: string): Record<string, string[]> {
  // Read-write on purpose: after a killed command the file may hold a hot journal to roll back.
  const db = new DatabaseSync(path, { readBigInts: true });
  try {
    const out: Record<string, string[]> = {};
    for (const t of trackedTables(readSchema(db))) {
      const cols = keyedColumns(t).map((c) => quoteIdent(c.name)); // a table without a PRIMARY KEY: its rowid first
      const sel = cols.map((c) => `typeof(${c}), CASE WHEN typeof(${c}) = 'text' THEN CAST(${c} AS BLOB) ELSE ${c} END`).join(', ');
      // Rows with a NULL in a key column cannot be captured (sessions skip them too).
      const keyed = keyedColumns(t).filter((c) => c.pk > 0).map((c) => `${quoteIdent(c.name)} IS NOT NULL`).join(' AND ');
      const stmt = db.prepare(`SELECT ${sel} FROM ${quoteIdent(t.name)} WHERE ${keyed}`);
      stmt.setReturnArrays(true);
      out[t.name] = (stmt.all() as unknown as unknown[][]).map((row) => row.map(exact).join('|')).sort();
    }
    return out;
  } finally {
    db.close();
  }
}

/** The schema objects as SQL text, sorted: two databases with the same schema give the same list. */
export function dumpSchema(path: string): string[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return readSchema(db).objects.map((o) => `${o.type} ${o.name}: ${o.sql}`).sort();
  } finally {
    db.close();
  }
}

/** Pieces of `bytes` (src/shared/pieces.ts) for the tests of this file, so that an entry of some KiB counts as large. */
export function usePieceBytes(bytes: number): void {
  let was: string | undefined;
  beforeAll(() => {
    was = process.env.SQLFERRY_PIECE_BYTES;
    process.env.SQLFERRY_PIECE_BYTES = String(bytes);
  });
  afterAll(() => {
    if (was === undefined) delete process.env.SQLFERRY_PIECE_BYTES;
    else process.env.SQLFERRY_PIECE_BYTES = was;
  });
}
