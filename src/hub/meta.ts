// Parsing the hub's JSON files: a damaged or foreign file becomes one clear error, never a crash later.
import { SqlferryError, EXIT } from '../errors/index.ts';
import type { EntryMeta, HubInfo, SnapshotMeta } from './remote.ts';
import type { TokenRecord } from './store.ts';

function corrupt(where: string, why: string): SqlferryError {
  return new SqlferryError('HUB_META_CORRUPT', `${where} is not valid sqlferry hub metadata (${why})`, {
    data: { where },
    exitCode: EXIT.corrupt,
    hint: 'the hub folder is damaged or was written by something else',
  });
}

function object(text: string, where: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw corrupt(where, 'not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw corrupt(where, 'not an object');
  return value as Record<string, unknown>;
}

const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isHash = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
const isKind = (v: unknown): v is 'changeset' | 'patchset' => v === 'changeset' || v === 'patchset';

export function parseHubInfo(text: string, where: string): HubInfo {
  const o = object(text, where);
  if (o.format !== 'sqlferry-hub') throw corrupt(where, 'format is not sqlferry-hub');
  if (o.version !== 1) throw corrupt(where, `unsupported version ${String(o.version)}`);
  if (typeof o.hubId !== 'string' || !isKind(o.kind)) throw corrupt(where, 'hubId or kind missing');
  return { format: 'sqlferry-hub', version: 1, hubId: o.hubId, kind: o.kind, created: String(o.created ?? '') };
}

/** A store's own fields (a folder hub's `file`) stay on the result, unchecked: see `storedFile`. */
export function parseEntryMeta(text: string, where: string): EntryMeta & Record<string, unknown> {
  const o = object(text, where);
  const ok =
    isSeq(o.seq) && isHash(o.parent) && isHash(o.sha256) && isSeq(o.size) && isKind(o.kind) &&
    typeof o.replica === 'string' && typeof o.time === 'string' && typeof o.message === 'string' &&
    Array.isArray(o.schema) && o.schema.every((s) => typeof s === 'string');
  if (!ok) throw corrupt(where, 'a field is missing or has the wrong type');
  if (o.digest !== undefined && !isDigest(o.digest)) throw corrupt(where, 'digest is not a map of table names to sha256 checksums');
  return o as unknown as EntryMeta & Record<string, unknown>;
}

const MAX_DIGEST_TABLES = 100_000;

function isDigest(v: unknown): v is Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const entries = Object.entries(v);
  return entries.length <= MAX_DIGEST_TABLES && entries.every(([name, h]) => name.length > 0 && name.length <= 4096 && isHash(h));
}

export function parseSnapshotMeta(text: string, where: string): SnapshotMeta & Record<string, unknown> {
  const o = object(text, where);
  const ok = isSeq(o.seq) && isHash(o.sha256) && isSeq(o.size);
  if (!ok) throw corrupt(where, 'a field is missing or has the wrong type');
  return o as unknown as SnapshotMeta & Record<string, unknown>;
}

/** A folder hub's metadata names the file holding its bytes. */
export function storedFile<T extends Record<string, unknown>>(meta: T, where: string): T & { file: string } {
  if (typeof meta.file !== 'string') throw corrupt(where, 'a field is missing or has the wrong type');
  return meta as T & { file: string };
}

/** Only the contract's fields: a transport's own bookkeeping (file names) never leaks out. */
export function entryMeta(m: EntryMeta): EntryMeta {
  const { seq, parent, replica, time, message, schema, kind, sha256, size, digest } = m;
  return { seq, parent, replica, time, message, schema, kind, sha256, size, ...(digest === undefined ? {} : { digest }) };
}

export function snapshotMeta(m: SnapshotMeta): SnapshotMeta {
  const { seq, sha256, size, replica, time } = m;
  return { seq, sha256, size, replica, time };
}

/**
 * How a token's access is stored: a token limited to tables as `write-tables`, a value a server
 * from before the limit (which knows only read and write) refuses to write with, instead of
 * letting the token write every table.
 */
export const storedAccess = (t: Pick<TokenRecord, 'access' | 'tables'>): string => (t.tables === null ? t.access : 'write-tables');

/** Access and tables as a store kept them, or undefined when they do not fit; no tables (an older record) is every table. */
export function tokenAccess(access: unknown, tables: unknown): Pick<TokenRecord, 'access' | 'tables'> | undefined {
  if (access === 'read' || access === 'write') return tables === undefined || tables === null ? { access, tables: null } : undefined;
  const listed = Array.isArray(tables) && tables.length > 0 && tables.every((t) => typeof t === 'string' && t.length > 0);
  return access === 'write-tables' && listed ? { access: 'write', tables: tables as string[] } : undefined;
}

export function parseTokenRecord(text: string, where: string): TokenRecord {
  const o = object(text, where);
  const access = tokenAccess(o.access, o.tables);
  const ok =
    typeof o.id === 'string' && (o.hub === null || typeof o.hub === 'string') && access !== undefined &&
    (o.expires === null || typeof o.expires === 'string') && typeof o.created === 'string';
  if (!ok) throw corrupt(where, 'a token field is missing or has the wrong type');
  return { id: o.id as string, hub: o.hub as string | null, ...access, expires: o.expires as string | null, created: o.created as string };
}
