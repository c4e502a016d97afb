// config.json (who this replica is; remotes and handlers are added by sync) and
// state.json (where the local log stands against the hub). Unknown fields are kept.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { ChangesetKind } from '../changeset/types.ts';
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
  [other: string]: unknown;
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

export function readState(path: string): ReplicaState {
  return existsSync(path) ? readJson<ReplicaState>(path) : { hubId: null, hubSeq: 0 };
}

export function writeState(path: string, state: ReplicaState): void {
  writeJsonAtomic(path, state);
}
