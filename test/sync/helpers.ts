// Real replicas and hubs in a temp folder, driven through the library (the CLI tests spawn the binary).
import { expect } from 'vitest';
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Replica } from '../../src/repo/replica.ts';
import { commit } from '../../src/repo/capture/commit.ts';
import { openRemote } from '../../src/remote/registry.ts';
import type { Remote } from '../../src/hub/remote.ts';
import { initHub } from '../../src/sync/init-hub.ts';
import { chooseHandlers, type HandlerRule } from '../../src/sync/handlers/index.ts';
import { pull, type PullResult } from '../../src/sync/pull.ts';
import { push } from '../../src/sync/push.ts';
import { sync } from '../../src/sync/sync.ts';
import { clone } from '../../src/sync/clone.ts';
import { addRemote } from '../../src/sync/remotes.ts';
import { BIN } from '../cli-bin.ts';

export function tempDir(prefix = 'sqlferry-sync-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function newHub(dir: string, kind: 'changeset' | 'patchset' = 'changeset'): Promise<string> {
  const url = join(dir, 'hub');
  await initHub(url, kind);
  return url;
}

export function sql(path: string, text: string): void {
  const db = new DatabaseSync(path);
  try {
    db.exec(text);
  } finally {
    db.close();
  }
}

/** Read-write on purpose: after a killed command the file may hold a hot journal to roll back. */
export function rows(path: string, table: string): Array<Record<string, unknown>> {
  const db = new DatabaseSync(path);
  try {
    return (db.prepare(`SELECT * FROM "${table}" ORDER BY 1`).all() as Array<Record<string, unknown>>).map((r) => ({ ...r }));
  } finally {
    db.close();
  }
}

/** A replica whose database starts with `schema`, pushed to the hub (its genesis becomes the hub's). */
export async function firstReplica(dir: string, hubUrl: string, schema: string, name = 'a'): Promise<Replica> {
  sql(join(dir, `${name}.db`), schema);
  return pushedReplica(dir, hubUrl, name);
}

/** The database `name`.db in `dir`, as it is, made a replica with the hub as origin and pushed (its genesis becomes the hub's). */
export async function pushedReplica(dir: string, hubUrl: string, name: string): Promise<Replica> {
  const replica = Replica.init(join(dir, `${name}.db`));
  addRemote(replica, 'origin', hubUrl);
  await withRemote(hubUrl, (r) => push(replica, r));
  return replica;
}

export async function cloneReplica(dir: string, hubUrl: string, name: string): Promise<Replica> {
  return withRemote(hubUrl, async (r) => (await clone(r, join(dir, `${name}.db`), { handlers: await chooseHandlers([]) })).replica);
}

export async function withRemote<T>(url: string, fn: (remote: Remote) => Promise<T>): Promise<T> {
  const remote = await openRemote(url);
  try {
    return await fn(remote);
  } finally {
    await remote.close();
  }
}

export function commitAll(replica: Replica, message = ''): void {
  commit(replica, { message });
}

export async function pullWith(replica: Replica, hubUrl: string, rules: string[] = [], baseDir = process.cwd()): Promise<PullResult> {
  const handlers = await chooseHandlers(rules.map((rule): HandlerRule => ({ rule, baseDir })));
  return withRemote(hubUrl, (r) => pull(replica, r, { handlers }));
}

/** `remote`, with `write` run once, when the pull starts reading the hub's entries (one by one or in batches). */
export function writingWhileFetched(remote: Remote, write: () => void): Remote {
  let written = false;
  return new Proxy(remote, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if ((prop !== 'read' && prop !== 'readBatch') || written) return typeof value === 'function' ? value.bind(target) : value;
      return (...args: unknown[]) => {
        written = true;
        write();
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** pullWith, with `write` run on the live database while the pull fetches: captured inside its transaction. */
export async function pullWriting(replica: Replica, hubUrl: string, write: () => void): Promise<PullResult> {
  const handlers = await chooseHandlers([]);
  return withRemote(hubUrl, (r) => pull(replica, writingWhileFetched(r, write), { handlers }));
}

/**
 * The databases `dbs`, one after the other, synced in-process with the default rules, each with
 * no conflict (the CLI's exit 0): the settling round after the syncs a test watched the CLI run.
 */
export async function syncEach(hubUrl: string, dbs: string[]): Promise<void> {
  const handlers = await chooseHandlers([]);
  await withRemote(hubUrl, async (r) => {
    for (const db of dbs) expect((await sync(Replica.open(db), r, { handlers })).conflicts, db).toEqual([]);
  });
}

export async function pushTo(replica: Replica, hubUrl: string) {
  return withRemote(hubUrl, (r) => push(replica, r));
}

/** a edits and pushes first; b edits the same rows, commits, and pulls with `rules`. */
export async function collide(dir: string, schema: string, aEdit: string, bEdit: string, rules: string[] = []) {
  const hub = await newHub(dir);
  const a = await firstReplica(dir, hub, schema);
  const b = await cloneReplica(dir, hub, 'b');
  sql(a.paths.db, aEdit);
  commitAll(a);
  await pushTo(a, hub);
  sql(b.paths.db, bEdit);
  commitAll(b);
  const result = await pullWith(b, hub, rules, dir);
  return { hub, a, b, result };
}

/**
 * `replica`'s pull from `hubUrl` stopped right after its COMMIT, as a crash there would stop it:
 * a folder where log entry `seq`'s bytes go makes the sidecar update fail (rmSync refuses a
 * folder). The pending-pull record is left for the next command to finish.
 */
export async function pullCutAfterCommit(replica: Replica, hubUrl: string, seq: number): Promise<void> {
  const obstacle = join(replica.paths.log, `${String(seq).padStart(10, '0')}.changeset`);
  mkdirSync(obstacle);
  writeFileSync(join(obstacle, 'x'), '');
  try {
    await expect(pullWith(replica, hubUrl)).rejects.toThrow();
  } finally {
    rmSync(obstacle, { recursive: true });
  }
}

/**
 * A copy of `dir` in which a CLI `pull` of `dbName` was killed (SIGKILL) at a random moment of
 * slice `round` of `rounds` of `tookMs`, an uninterrupted pull's run: the copied database's path.
 */
export async function pullKilledInCopy(dir: string, dbName: string, round: number, rounds: number, tookMs: number, env?: NodeJS.ProcessEnv): Promise<string> {
  const run = tempDir('sqlferry-killed-pull-');
  cpSync(dir, run, { recursive: true });
  const db = join(run, dbName);
  const child = spawn(process.execPath, [BIN, '--db', db, 'pull'], { env, stdio: 'ignore' });
  const exited = new Promise((r) => child.on('exit', r));
  await new Promise((r) => setTimeout(r, ((round + Math.random()) / rounds) * tookMs));
  child.kill('SIGKILL');
  await exited;
  return db;
}
