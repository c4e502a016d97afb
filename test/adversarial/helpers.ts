// Real replicas, real processes: the CLI spawned with the Node that runs the tests, and
// Debian's sqlite3 for writers that are not sqlferry.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

import { BIN } from '../cli-bin.ts';

export { BIN };

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

export function tempDir(prefix = 'sqlferry-adv-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

export function cli(cwd: string, ...args: string[]): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 180_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The CLI without blocking the test's event loop (so a concurrent writer can be watched). */
export function cliAsync(cwd: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

/** Fails the test with the CLI's own words when it did not exit as expected. */
export function ok(r: Run, ...allowed: number[]): Run {
  const codes = allowed.length > 0 ? allowed : [0];
  if (!codes.includes(r.status)) throw new Error(`exit ${r.status}, expected ${codes.join('/')}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

export function sqlite3(db: string, sql: string): string {
  const r = spawnSync('/usr/bin/sqlite3', [db], { input: sql, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sqlite3 failed: ${r.stderr}`);
  return r.stdout;
}
