// Fetching the hub's entries after the ones this replica has: every entry's checksum is
// verified as it streams, and its parent must be the entry before it (or the genesis), so a
// hub with another history is refused instead of applied.
import type { EntryMeta, Remote } from '../hub/remote.ts';
import { collect } from '../hub/checksum.ts';
import { SqlferryError, EXIT } from '../errors/index.ts';

export interface FetchedEntry {
  meta: EntryMeta;
  bytes: Uint8Array;
}

export async function fetchEntries(remote: Remote, after: number, tip: string): Promise<FetchedEntry[]> {
  const metas = await remote.list(after);
  const fetched: FetchedEntry[] = [];
  let parent = tip;
  for (const listed of metas) {
    const { meta, body } = await remote.read(listed.seq);
    if (meta.seq !== after + fetched.length + 1 || meta.parent !== parent) throw historyMismatch(remote.url, meta.seq);
    fetched.push({ meta, bytes: await collect(body) });
    parent = meta.sha256;
  }
  return fetched;
}

export function historyMismatch(url: string, seq: number): SqlferryError {
  return new SqlferryError('HUB_HISTORY_MISMATCH', `the hub at ${url} does not continue this replica's history (entry ${seq} has another parent)`, {
    data: { url, seq },
    exitCode: EXIT.corrupt,
    hint: 'the hub was replaced or rewritten; clone a fresh replica from it (sqlferry clone URL DB)',
  });
}

export function unrelatedHub(url: string): SqlferryError {
  return new SqlferryError('HUB_UNRELATED', `this replica's history is unrelated to the hub at ${url}`, {
    data: { url },
    exitCode: EXIT.rejected,
    hint: `clone the hub instead: sqlferry clone ${url} NEW.db`,
  });
}
