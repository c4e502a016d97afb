// The hub's on-disk layout, shared by every transport that stores files (folder, SFTP, and the
// HTTP server through the folder one), so a hub made one way is readable every other way.
//
//   sqlferry-hub.json                      who the hub is (HubInfo)
//   log/<seq>.json                         entry metadata; its creation is the commit point
//   log/<seq>.<rand>.<kind>                the bytes the metadata names
//   snapshots/<seq>.json + <seq>.<rand>.db a full database as of entry seq
import { randomBytes } from 'node:crypto';
import type { ChangesetKind } from '../../changeset/types.ts';
import { parseSeqName, seqName } from '../naming.ts';

export const HUB_FILE = 'sqlferry-hub.json';
export const LOG_DIR = 'log';
export const SNAPSHOTS_DIR = 'snapshots';
export type HubFolder = typeof LOG_DIR | typeof SNAPSHOTS_DIR;

const META_SUFFIX = '.json';

/** Random enough that two writers (processes, machines) never pick the same temp or bytes name. */
export function uniqueSuffix(): string {
  return randomBytes(6).toString('hex');
}

/** A name no committed file has: `.tmp-…` files are invisible to readers and safe to delete. */
export function tempName(): string {
  return `.tmp-${uniqueSuffix()}`;
}

/** The metadata file of entry or snapshot `seq`: the name whose exclusive creation commits it. */
export function metaName(seq: number): string {
  return `${seqName(seq)}${META_SUFFIX}`;
}

export function entryBytesName(seq: number, kind: ChangesetKind): string {
  return `${seqName(seq)}.${uniqueSuffix()}.${kind}`;
}

export function snapshotBytesName(seq: number): string {
  return `${seqName(seq)}.${uniqueSuffix()}.db`;
}

/** The number a folder's name commits, if it is a metadata file's (only those count). */
export function committedSeq(name: string): number | undefined {
  return parseSeqName(name, META_SUFFIX);
}
