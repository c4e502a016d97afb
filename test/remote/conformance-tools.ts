// What the conformance suites share beyond fixtures: appenders in other processes, and damage
// planted below the hub's rules.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { HubStore } from '../../src/hub/store.ts';
import { changeset, entry } from './hub-fixtures.ts';

const worker = fileURLToPath(new URL('./append-worker.ts', import.meta.url));

export function runWorker(url: string, id: string, count: number, size: number, batch = 1) {
  const child = spawn(process.execPath, [worker, url, id, String(count), String(size), String(batch)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: string | null; won: number[] }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, won: [...stdout.matchAll(/won (\d+)/g)].map((m) => Number(m[1])), ...(stderr && code ? { stderr } : {}) })),
  );
  return { child, done };
}

/** Stores entry `seq` with bytes other than its metadata names, as a bad disk or a foreign writer would. */
export async function plantDamagedEntry(store: HubStore, seq: number, parent: string, size: number): Promise<Buffer> {
  const bytes = changeset('x', size);
  const damaged = Buffer.from(bytes);
  damaged[damaged.length - 1]! ^= 0xff;
  expect(await store.appendExclusive(entry(seq, bytes, parent), damaged)).toBe(true);
  return bytes;
}

