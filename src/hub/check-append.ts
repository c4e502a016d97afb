// What a hub admits into its log, checked once for every transport before anything is stored:
// the folder and SSH remotes call it inside append, and `serve` stores through the folder one.
// A hub entry is read by every replica that pulls, so a wrong one breaks them all: the hub
// takes only the next number, on the chain, of its own kind, bytes that parse, schema
// statements that pass the rule. (Whether the tables exist is the replicas' check: a hub holds
// no database.)
import { ChangesetFormatError, SqlferryError, EXIT } from '../errors/index.ts';
import { PieceCutter } from '../changeset/pieces.ts';
import { passed } from '../shared/collect.ts';
import { pieceBytes } from '../shared/pieces.ts';
import { validateChangeset } from '../changeset/index.ts';
import { checkAppendable } from './errors.ts';
import { checkSchemaStatements } from './schema-rule.ts';
import { sha256, verified } from './checksum.ts';
import type { EntryMeta, EntryWithBytes, Remote } from './remote.ts';
import type { ChangesetKind } from '../changeset/types.ts';

/** The read side of a hub the checks need; every Remote is one. */
export type HubReader = Pick<Remote, 'url' | 'info' | 'head' | 'list' | 'latestSnapshot'>;

export type AppendRefusal = 'parent' | 'kind' | 'checksum' | 'changeset' | 'schema';

export function appendRefused(url: string, seq: number, reason: AppendRefusal, why: string, data: Record<string, unknown> = {}, cause?: unknown): SqlferryError {
  return new SqlferryError('HUB_APPEND_REFUSED', `the hub at ${url} refused entry ${seq}: ${why}`, {
    data: { url, seq, reason, ...data },
    exitCode: EXIT.rejected,
    cause,
    hint: reason === 'parent'
      ? 'the entry does not continue the hub\'s history: run `sqlferry pull`, then push again'
      : 'nothing was stored; the pushing replica or program sent an entry no replica could apply',
  });
}

/** Throws HUB_ENTRY_EXISTS / HUB_SEQ_GAP (409) or HUB_APPEND_REFUSED (422) unless `meta` and `bytes` may become entry `meta.seq`. */
export async function checkAppend(hub: HubReader, meta: EntryMeta, bytes: Uint8Array): Promise<void> {
  await checkAppendBatch(hub, [{ meta, bytes }]);
}

/**
 * The same for a batch: its first entry against the hub, each later one against the entry before
 * it in the batch, every one in full (kind, checksum, bytes, schema), before anything is stored.
 */
export async function checkAppendBatch(hub: HubReader, batch: EntryWithBytes[]): Promise<void> {
  if (batch.length === 0) return;
  const { kind, head: last } = await hubEnd(hub, batch[0]!.meta.seq);
  let before = last;
  for (const { meta, bytes } of batch) {
    if (meta.seq !== before.seq + 1) {
      throw new SqlferryError('HUB_SEQ_GAP', `cannot append entry ${meta.seq}: the entry before it in the batch is ${before.seq}`, { data: { url: hub.url, seq: meta.seq } });
    }
    checkEntry(hub.url, kind, before, meta, bytes);
    before = { seq: meta.seq, sha256: meta.sha256, name: `entry ${meta.seq}` };
  }
}

/** What a new entry `seq` must follow: the hub's kind and its last entry (or genesis), after HUB_ENTRY_EXISTS / HUB_SEQ_GAP. */
async function hubEnd(hub: HubReader, seq: number): Promise<{ kind: ChangesetKind; head: { seq: number; sha256: string; name: string } }> {
  const [info, head] = await Promise.all([hub.info(), hub.head()]);
  checkAppendable(hub.url, seq, head);
  // Entries never change once published, so the parent read now is the parent for good.
  const parent = head === 0 ? (await hub.latestSnapshot(0))?.sha256 : (await hub.list(head - 1, 1))[0]?.sha256;
  if (parent === undefined) throw appendRefused(hub.url, head + 1, 'parent', 'the hub has no genesis snapshot (snapshot 0) for entry 1 to follow');
  return { kind: info.kind, head: { seq: head, sha256: parent, name: head === 0 ? 'the genesis snapshot' : `entry ${head}` } };
}

/**
 * The same for one entry whose bytes stream in (a large one, src/shared/pieces.ts): what can be
 * checked without the bytes now (number, parent, kind, schema), and a body to store that checks
 * the rest as it passes (size and sha256, every record cut into pieces and validated) and throws
 * HUB_APPEND_REFUSED before it ends, so the store keeps nothing.
 */
export async function checkAppendStream(hub: HubReader, meta: EntryMeta, body: AsyncIterable<Uint8Array>): Promise<AsyncIterable<Uint8Array>> {
  const { kind, head } = await hubEnd(hub, meta.seq);
  checkEntry(hub.url, kind, head, meta, undefined);
  return admitted(hub.url, meta, body);
}

async function* admitted(url: string, meta: EntryMeta, body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const cutter = new PieceCutter(pieceBytes(), meta.kind);
  const refuse = (reason: AppendRefusal, why: string, data?: Record<string, unknown>, cause?: unknown) => appendRefused(url, meta.seq, reason, why, data, cause);
  const changesetRefused = (err: ChangesetFormatError) => refuse('changeset', `its bytes are not a valid ${meta.kind} (${err.message})`, { offset: err.data.offset }, err);
  try {
    for await (const chunk of verified(`entry ${meta.seq}`, meta, body)) {
      cutter.push(chunk);
      yield chunk;
      passed(chunk.byteLength);
    }
    cutter.end();
  } catch (err) {
    if (err instanceof ChangesetFormatError) throw changesetRefused(err);
    if (err instanceof SqlferryError && err.code === 'HUB_ENTRY_CORRUPT') throw refuse('checksum', 'its bytes do not match the size and sha256 its metadata gives (damaged in transit?)');
    throw err;
  }
}

/** Every check of one entry; the bytes' (checksum, changeset) when they are given, in memory. */
function checkEntry(url: string, kind: ChangesetKind, before: { sha256: string; name: string }, meta: EntryMeta, bytes: Uint8Array | undefined): void {
  const refuse = (reason: AppendRefusal, why: string, data?: Record<string, unknown>, cause?: unknown) => appendRefused(url, meta.seq, reason, why, data, cause);
  if (meta.parent !== before.sha256) {
    throw refuse('parent', `its parent checksum ${meta.parent} is not the checksum of ${before.name} (${before.sha256})`, { expected: before.sha256, actual: meta.parent });
  }
  if (meta.kind !== kind) throw refuse('kind', `it is a ${meta.kind} and this hub holds ${kind}s`);
  if (bytes !== undefined) {
    if (bytes.byteLength !== meta.size || sha256(bytes) !== meta.sha256) {
      throw refuse('checksum', `its bytes do not match the size and sha256 its metadata gives (damaged in transit?)`);
    }
    try {
      validateChangeset(bytes, kind);
    } catch (err) {
      if (!(err instanceof SqlferryError)) throw err;
      throw refuse('changeset', `its bytes are not a valid ${kind} (${err.message})`, { offset: err.data.offset }, err);
    }
  }
  try {
    checkSchemaStatements(meta.schema, `entry ${meta.seq}`);
  } catch (err) {
    if (!(err instanceof SqlferryError)) throw err;
    throw refuse('schema', err.message, { statement: err.data.statement, index: err.data.index, rule: err.data.reason }, err);
  }
}
