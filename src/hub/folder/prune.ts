// What killed writers leave in a folder hub (layout.ts): staged `.tmp-…` files, and bytes no
// metadata names — an entry or a snapshot whose writer died before its metadata appeared, or
// lost the race for its number and died before removing them. Readers never see them; they
// only take space, a whole entry or database each. A file is a leftover by its name alone and
// removed only once nothing has written it for `olderThanMs`: a writer still at work keeps
// touching its file, and publishes it as soon as the bytes are whole. Files the layout does
// not name are a stranger's and stay.
import { metaName, LOG_DIR, SNAPSHOTS_DIR, committedSeq, type HubFolder } from './layout.ts';
import { SEQ_WIDTH } from '../naming.ts';
import type { FolderFs } from './fs.ts';

/**
 * The least `olderThanMs` a prune should take: a push writes an entry's bytes, then links the
 * metadata that publishes them, a batch's links one after another (a round trip each over SSH).
 * Bytes removed in between would be published missing, and every reader of the hub would fail there.
 */
export const MIN_OLDER_THAN_MS = 10 * 60_000;

export interface PruneOptions {
  /** Leftovers written to more recently than this are kept (a writer may still be at work); at least MIN_OLDER_THAN_MS. */
  olderThanMs: number;
  /** List what would go, remove nothing. */
  dryRun: boolean;
  now?: number;
}

export interface PruneReport {
  /** Hub-relative names of the leftovers removed (or, dry run, that would be). */
  removed: string[];
  bytes: number;
  /** Leftovers kept because they were written to within `olderThanMs`. */
  recent: number;
}

const BYTES_NAME = new RegExp(`^(\\d{${SEQ_WIDTH}})\\.[0-9a-f]{12}\\.(changeset|patchset|db)$`);
const TEMP_NAME = /^\.tmp-[0-9a-f]{12}$/;

/**
 * Leftover candidates among a folder's names, by name. Entries 1..head all have metadata (the
 * hub's rule), so the log's bytes files are held as a count per number, not as names (a hub
 * may hold millions); snapshots are few. A second pass finds the names of a number that has
 * more than one bytes file, where its metadata tells which one is published.
 */
async function candidates(fs: FolderFs, folder: HubFolder, head: number): Promise<string[]> {
  const found: string[] = [];
  const inLog = folder === LOG_DIR;
  const snapshots = new Set<number>();
  const logCounts = new Uint8Array(inLog ? head + 1 : 0);
  const snapshotCounts = new Map<number, number>();
  const named: Array<{ seq: number; name: string }> = []; // bytes kept by name: the log's past the head, every snapshot's
  await fs.scan(folder, (name) => {
    if (TEMP_NAME.test(name)) found.push(name);
    const meta = inLog ? undefined : committedSeq(name);
    if (meta !== undefined) snapshots.add(meta);
    const bytes = BYTES_NAME.exec(name);
    if (bytes === null) return false;
    const seq = Number(bytes[1]);
    if (inLog && seq >= 1 && seq <= head) logCounts[seq] = Math.min(2, logCounts[seq]! + 1);
    else if (inLog) named.push({ seq, name });
    else {
      snapshotCounts.set(seq, (snapshotCounts.get(seq) ?? 0) + 1);
      named.push({ seq, name });
    }
    return false;
  });
  // Its writer died before the metadata, or lost the number and died: no metadata names it.
  for (const { seq, name } of named) if (inLog || !snapshots.has(seq)) found.push(name);
  const shared = new Map<number, string | undefined>();
  for (let seq = 1; seq < logCounts.length; seq++) if (logCounts[seq] === 2) shared.set(seq, undefined);
  for (const [seq, n] of snapshotCounts) if (n > 1 && snapshots.has(seq)) shared.set(seq, undefined);
  if (shared.size === 0) return found;
  for (const seq of shared.keys()) shared.set(seq, await namedFile(fs, folder, seq));
  await fs.scan(folder, (name) => {
    const bytes = BYTES_NAME.exec(name);
    const published = bytes === null ? undefined : shared.get(Number(bytes[1]));
    // undefined: not shared, or its metadata unreadable (a damaged hub is not pruned blind)
    if (published !== undefined && published !== name) found.push(name);
    return false;
  });
  return found;
}

/** The bytes file metadata `seq` names, or undefined if it cannot be read as such. */
async function namedFile(fs: FolderFs, folder: HubFolder, seq: number): Promise<string | undefined> {
  const text = await fs.readText(`${folder}/${metaName(seq)}`);
  try {
    const file = (JSON.parse(text ?? '') as { file?: unknown }).file;
    return typeof file === 'string' ? file : undefined;
  } catch {
    return undefined;
  }
}

/** The leftovers of the hub whose head is `head`, removed unless recent (or a dry run). */
export async function pruneFolderHub(fs: FolderFs, head: number, opts: PruneOptions): Promise<PruneReport> {
  const report: PruneReport = { removed: [], bytes: 0, recent: 0 };
  const now = opts.now ?? Date.now();
  for (const folder of [LOG_DIR, SNAPSHOTS_DIR] as const) {
    for (const name of await candidates(fs, folder, head)) {
      const path = `${folder}/${name}`;
      const stat = await fs.stat(path);
      if (stat === undefined) continue; // published or removed meanwhile
      if (now - stat.mtimeMs < opts.olderThanMs) {
        report.recent++;
        continue;
      }
      const bytes = BYTES_NAME.exec(name);
      if (bytes !== null && (await namedFile(fs, folder, Number(bytes[1]))) === name) continue; // published since the listing
      if (!opts.dryRun) await fs.remove(path);
      report.removed.push(path);
      report.bytes += stat.size;
    }
  }
  return report;
}
