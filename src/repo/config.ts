// config.json (who this replica is; remotes and handlers are added by sync) and
// state.json (where the local log stands against the hub). Unknown fields are kept.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { ChangesetKind } from '../changeset/types.ts';
import { EXIT, SqlferryError } from '../errors/index.ts';
import { readJson, writeJsonAtomic } from './atomic.ts';

export interface ReplicaConfig {
  version: 1;
  replicaId: string;
  /** The kind of changeset this replica writes and its hub stores. */
  format: ChangesetKind;
  [other: string]: unknown;
}

export interface ReplicaState {
  /** The upstream hub's id, once pushed or pulled. */
  hubId: string | null;
  /** Log entries 1..hubSeq are the hub's; later ones are local commits not on the hub yet. */
  hubSeq: number;
  /** The sha256 of the last hub entry this replica has (or of its genesis snapshot); absent until it met its hub. */
  hubTip?: string | null;
  /** The first entry of a replica cloned from a hub's snapshot: the log holds nothing before it. */
  genesisSeq?: number;
}

export function newConfig(): ReplicaConfig {
  return { version: 1, replicaId: randomUUID(), format: 'changeset' };
}

export function readConfig(path: string): ReplicaConfig {
  return readJson<ReplicaConfig>(path);
}

export function writeConfig(path: string, config: ReplicaConfig): void {
  writeJsonAtomic(path, config);
}

/** state.json, each field checked: a hand-edited or damaged file is refused in one sentence, never half-trusted. */
export function readState(path: string): ReplicaState {
  if (!existsSync(path)) return { hubId: null, hubSeq: 0 };
  const state = readJson<unknown>(path);
  const wrong = stateFault(state);
  if (wrong) {
    throw new SqlferryError('FILE_CORRUPT', `${path} is damaged: ${wrong}`, {
      data: { path },
      exitCode: EXIT.corrupt,
      hint: 'the sidecar file was damaged; restore it from a backup or re-create the replica with clone',
    });
  }
  // Fields a later version added are kept: writeState writes back what it read.
  return state as ReplicaState;
}

function stateFault(state: unknown): string | null {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) return 'it is not a JSON object';
  const { hubId, hubSeq, hubTip, genesisSeq } = state as Record<string, unknown>;
  if (hubId !== null && typeof hubId !== 'string') return 'hubId is neither a string nor null';
  if (!isCount(hubSeq)) return 'hubSeq is not a whole number ≥ 0';
  if (hubTip !== undefined && hubTip !== null && (typeof hubTip !== 'string' || !/^[0-9a-f]{64}$/.test(hubTip))) return 'hubTip is not a sha256';
  if (genesisSeq !== undefined && !isCount(genesisSeq)) return 'genesisSeq is not a whole number ≥ 0';
  return null;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function writeState(path: string, state: ReplicaState): void {
  writeJsonAtomic(path, state);
}
