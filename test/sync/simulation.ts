// A seeded simulation of replicas editing one database and syncing through one hub, with the
// collisions real fleets meet. Used by convergence.test.ts (short) and on demand (long).
import { DatabaseSync } from 'node:sqlite';
import type { Replica } from '../../src/repo/replica.ts';
import { commit } from '../../src/repo/capture/commit.ts';
import { verify } from '../../src/repo/verify.ts';
import { openRemote } from '../../src/remote/registry.ts';
import type { Remote } from '../../src/hub/remote.ts';
import { chooseHandlers, type HandlerChooser } from '../../src/sync/handlers/index.ts';
import { ConflictStore } from '../../src/repo/conflicts/conflict-store.ts';
import { readableRow } from '../../src/repo/conflicts/exact-json.ts';
import { pull } from '../../src/sync/pull.ts';
import { push } from '../../src/sync/push.ts';
import { sync } from '../../src/sync/sync.ts';
import { cloneReplica, firstReplica, newHub, tempDir } from './helpers.ts';

export const SIM_SCHEMA = `
  CREATE TABLE parent(id INTEGER PRIMARY KEY, name TEXT UNIQUE, v TEXT);
  CREATE TABLE child(id INTEGER PRIMARY KEY, parent_id INT REFERENCES parent(id), v TEXT);`;

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Node {
  replica: Replica;
  app: DatabaseSync; // the application's own connection, foreign keys on, open all along
  rules: HandlerCombo;
}

export interface SimulationReport {
  operations: number;
  conflicts: number;
  written: number;
  tables: Record<string, string[]>;
  lost: string[];
  verifyProblems: string[];
  /** Pulls an `abort` rule stopped (then pulled again with the default, as a person would). */
  aborts: number;
  /** The handler pairs that decided at least one conflict. */
  combosExercised: string[];
}

/**
 * Every ordered pair of built-in handlers, as one replica's rules: the first settles primary-key
 * and data conflicts, the second unique, not-found and foreign-key ones (a rekeyed row that
 * collides on a UNIQUE value meets the second). `default` is no rule. A replica whose pair has
 * decided a conflict takes the next pair in turn, so each pair gets its conflicts, against
 * replicas holding others.
 */
const BUILT_INS = ['default', 'remote', 'local', 'abort', 'newest:v', 'rekey', 'merge-unique'];
interface HandlerCombo {
  name: string;
  handlers: HandlerChooser;
}
async function handlerCombos(baseDir: string): Promise<HandlerCombo[]> {
  const rule = (kinds: string[], handler: string) => (handler === 'default' ? [] : kinds.map((k) => `*.${k}=${handler}`));
  const combos: HandlerCombo[] = [];
  for (const first of BUILT_INS) for (const second of BUILT_INS) {
    const rules = [...rule(['primary-key', 'data'], first), ...rule(['unique', 'not-found', 'foreign-key'], second)];
    combos.push({ name: `${first}+${second}`, handlers: await chooseHandlers(rules.map((r) => ({ rule: r, baseDir }))) });
  }
  return combos;
}

export async function simulate(seed: number, operations: number, replicas = 4, hubKind: 'changeset' | 'patchset' = 'changeset'): Promise<SimulationReport> {
  const random = prng(seed);
  const dir = tempDir('sqlferry-sim-');
  const hubUrl = await newHub(dir, hubKind);
  const remote: Remote = await openRemote(hubUrl);
  const combos = await handlerCombos(dir);
  const fallback = await chooseHandlers([]);
  let turn = seed % combos.length;
  const nextCombo = () => combos[turn++ % combos.length]!;
  const nodes: Node[] = [];
  for (let i = 0; i < replicas; i++) {
    const replica = i === 0 ? await firstReplica(dir, hubUrl, SIM_SCHEMA, 'r0') : await cloneReplica(dir, hubUrl, `r${i}`);
    const app = new DatabaseSync(replica.paths.db, { timeout: 5000 });
    nodes.push({ replica, app, rules: nextCombo() });
  }
  const written = new Set<string>();
  const superseded = new Set<string>();
  let conflicts = 0;
  let aborts = 0;
  const exercised = new Set<string>();
  /** A pull or sync with the node's rules; an abort leaves the database as it was, so pull again with the default. */
  const settle = async (node: Node, run: (handlers: HandlerChooser) => Promise<{ conflicts: unknown[] }>) => {
    try {
      const found = (await run(node.rules.handlers)).conflicts.length;
      conflicts += found;
      if (found === 0) return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SYNC_CONFLICT_ABORT') throw err;
      aborts++;
      conflicts += (await run(fallback)).conflicts.length;
    }
    exercised.add(node.rules.name);
    node.rules = nextCombo();
  };
  const pullNode = (node: Node) => settle(node, (handlers) => pull(node.replica, remote, { handlers }));
  const syncNode = (node: Node) => settle(node, (handlers) => sync(node.replica, remote, { handlers, attempts: 10 }));
  const token = (n: number, op: number) => `r${n}-${op}`;

  const write = (node: Node, sql: string, params: Array<string | number>, replaced?: string | null) => {
    try {
      if (Number(node.app.prepare(sql).run(...params).changes) === 0) return; // no such row
    } catch {
      return; // the application's own constraints refused it: nothing was written
    }
    for (const p of params) if (typeof p === 'string' && /^r\d+-\d+$/.test(p)) written.add(p);
    if (replaced) superseded.add(replaced);
  };
  const current = (node: Node, table: string, id: number) => node.app.prepare(`SELECT v FROM ${table} WHERE id = ?`).get(id) as { v: string } | undefined;

  for (let op = 0; op < operations; op++) {
    const n = Math.floor(random() * nodes.length);
    const node = nodes[n]!;
    const r = random();
    const pid = 1 + Math.floor(random() * 20);
    const cid = 1 + Math.floor(random() * 35);
    const name = `name${Math.floor(random() * 25)}`;
    if (r < 0.16) write(node, 'INSERT INTO parent VALUES (?, ?, ?)', [pid, name, token(n, op)]);
    else if (r < 0.3) write(node, 'UPDATE parent SET v = ? WHERE id = ?', [token(n, op), pid], current(node, 'parent', pid)?.v);
    else if (r < 0.36) write(node, 'UPDATE parent SET name = ?, v = ? WHERE id = ?', [name, token(n, op), pid], current(node, 'parent', pid)?.v);
    else if (r < 0.42) write(node, 'DELETE FROM parent WHERE id = ?', [pid], current(node, 'parent', pid)?.v);
    else if (r < 0.54) write(node, 'INSERT INTO child VALUES (?, ?, ?)', [cid, pid, token(n, op)]);
    else if (r < 0.64) write(node, 'UPDATE child SET v = ? WHERE id = ?', [token(n, op), cid], current(node, 'child', cid)?.v);
    else if (r < 0.68) write(node, 'DELETE FROM child WHERE id = ?', [cid], current(node, 'child', cid)?.v);
    else if (r < 0.78) commit(node.replica, { message: `op ${op}` });
    else if (r < 0.85) await push(node.replica, remote).catch((err: { code?: string }) => { if (err.code !== 'PUSH_REJECTED') throw err; });
    else if (r < 0.93) await pullNode(node);
    else await syncNode(node);
  }
  // The final round: everyone syncs (twice round: the last pusher's entries reach the first), then pulls.
  for (let round = 0; round < 2; round++) for (const node of nodes) await syncNode(node);
  for (const node of nodes) await pullNode(node);

  const tables: Record<string, string[]> = {};
  const kept = new Set<string>();
  for (const [i, node] of nodes.entries()) {
    for (const table of ['parent', 'child']) {
      const rowsNow = node.app.prepare(`SELECT * FROM ${table} ORDER BY id`).all() as Array<{ v: string }>;
      tables[`r${i}.${table}`] = rowsNow.map((row) => JSON.stringify(row));
      for (const row of rowsNow) kept.add(row.v);
    }
    const store = new ConflictStore(node.replica.paths.conflicts);
    for (const c of store.list({ all: true })) for (const version of [c.local, c.remote]) {
      const v = readableRow(version)?.v;
      if (typeof v === 'string') kept.add(v);
    }
    store.close();
  }
  const lost = [...written].filter((t) => !kept.has(t) && !superseded.has(t));
  const verifyProblems = nodes.flatMap((node, i) => verify(node.replica).problems.map((p) => `r${i}: ${p}`));
  for (const node of nodes) node.app.close();
  await remote.close();
  return { operations, conflicts, written: written.size, tables, lost, verifyProblems, aborts, combosExercised: [...exercised].sort() };
}
