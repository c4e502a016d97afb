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
  /** Named hubs, name → URL or absolute folder (`sqlferry remote`). */
  remotes?: Record<string, string>;
  /** Conflict handler rules, the user's to write (src/sync/handlers/index.ts checks each rule). */
  conflictHandlers?: string | string[];
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

/** config.json, each field checked: it is the user's to edit, so a wrong value is said in one sentence, not met later as a crash. */
export function readConfig(path: string): ReplicaConfig {
  return readChecked<ReplicaConfig>(path, configFault, (wrong) => new SqlferryError('CONFIG_INVALID', `${path} is not valid: ${wrong}`, {
    data: { path },
    exitCode: EXIT.usage,
    hint: 'edit the file back to a valid value (sqlferry remote rewrites remotes)',
  }));
}

/** A JSON file read whole and checked by `fault` before anything uses it; fields a later version added are kept (written back as read). */
function readChecked<T>(path: string, fault: (value: unknown) => string | null, refuse: (wrong: string) => SqlferryError): T {
  const value = readJson<unknown>(path);
  const wrong = fault(value);
  if (wrong !== null) throw refuse(wrong);
  return value as T;
}

function configFault(config: unknown): string | null {
  if (!isObject(config)) return 'it is not a JSON object';
  const { version, replicaId, format, remotes, conflictHandlers } = config;
  if (version !== 1) return `version is ${JSON.stringify(version)}, and this sqlferry reads version 1`;
  if (typeof replicaId !== 'string' || replicaId === '') return 'replicaId is not a non-empty string';
  if (format !== 'changeset' && format !== 'patchset') return 'format is neither "changeset" nor "patchset"';
  if (remotes !== undefined) {
    if (!isObject(remotes)) return 'remotes is not an object of names and URLs';
    const bad = Object.entries(remotes).find(([, url]) => typeof url !== 'string' || url === '');
    if (bad) return `remote ${JSON.stringify(bad[0])} has no URL (a non-empty string)`;
  }
  const rules = Array.isArray(conflictHandlers) ? conflictHandlers : [conflictHandlers];
  if (conflictHandlers !== undefined && !rules.every((rule) => typeof rule === 'string')) return 'conflictHandlers is neither a rule nor a list of rules (strings)';
  return null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function writeConfig(path: string, config: ReplicaConfig): void {
  writeJsonAtomic(path, config);
}

/** state.json, each field checked: a hand-edited or damaged file is refused in one sentence, never half-trusted. */
export function readState(path: string): ReplicaState {
  if (!existsSync(path)) return { hubId: null, hubSeq: 0 };
  return readChecked<ReplicaState>(path, stateFault, (wrong) => new SqlferryError('FILE_CORRUPT', `${path} is damaged: ${wrong}`, {
    data: { path },
    exitCode: EXIT.corrupt,
    hint: 'the sidecar file was damaged; restore it from a backup or re-create the replica with clone',
  }));
}

function stateFault(state: unknown): string | null {
  if (!isObject(state)) return 'it is not a JSON object';
  const { hubId, hubSeq, hubTip, genesisSeq } = state;
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
