// Hubs' raw material for tests: hub info, a genesis snapshot, valid changesets and the metadata
// that chains them, so entries pass the checks every hub makes (src/hub/check-append.ts).
import { randomUUID } from 'node:crypto';
import type { EntryMeta, HubInfo, Remote, SnapshotMeta } from '../../src/hub/remote.ts';
import type { ChangesetKind } from '../../src/changeset/types.ts';
import { writeChangeset } from '../../src/changeset/writer.ts';
import { sha256 } from '../../src/hub/checksum.ts';

export function hubInfo(kind: 'changeset' | 'patchset' = 'changeset'): HubInfo {
  return { format: 'sqlferry-hub', version: 1, hubId: randomUUID(), kind, created: new Date().toISOString() };
}

/** What a hub takes as a snapshot: SQLite's header, then (here) nothing in particular. */
export const GENESIS = Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.alloc(4080, 3)]);
export const GENESIS_SHA = sha256(GENESIS);

export function snapshotOf(seq: number, bytes: Uint8Array): SnapshotMeta {
  return { seq, sha256: sha256(bytes), size: bytes.length, replica: 'r1', time: new Date(0).toISOString() };
}

/** Entry 1 follows the genesis snapshot: a hub takes no entry before it has one. */
export async function addGenesis(remote: Remote): Promise<void> {
  await remote.writeSnapshot(snapshotOf(0, GENESIS), GENESIS);
}

/** A valid changeset (or patchset) inserting one row of t(id, v) whose v is `text` repeated to `size` bytes. */
export function changeset(text: string, size = text.length, kind: ChangesetKind = 'changeset'): Buffer {
  const table = { name: 't', pk: [true, false] };
  const v = Buffer.alloc(Math.max(size, 1), text);
  return Buffer.from(writeChangeset(kind, [{ table, op: 'INSERT', indirect: false, old: undefined, new: [{ type: 'integer', value: 1n }, { type: 'text', value: v }] }]));
}

export function entry(seq: number, bytes: Uint8Array, parent = GENESIS_SHA): EntryMeta {
  return { seq, parent, replica: 'r1', time: new Date(0).toISOString(), message: `entry ${seq}`, schema: ['CREATE TABLE t(x)'], kind: 'changeset', sha256: sha256(bytes), size: bytes.length };
}

/** The metadata of `bodies` as entries 1, 2, …, each naming the one before as its parent. */
export function chain(bodies: Uint8Array[]): EntryMeta[] {
  return bodies.map((b, i) => entry(i + 1, b, i === 0 ? GENESIS_SHA : sha256(bodies[i - 1]!)));
}

