// The hub's entry metadata after a position, asked for a page at a time: a replica far behind
// (a device offline for months on a busy hub) would otherwise ask for one answer of hundreds of
// MiB, which the HTTP client refuses past 256 MiB (src/remote/http/client.ts).
import type { EntryMeta, Remote } from '../hub/remote.ts';

/** Entries per request: about 10 MiB of JSON at ~1 KiB each. */
const PAGE = 10_000;

/** Every entry's metadata after `after`, in order (a page that does not move on ends the list: the chain check refuses it). */
export async function listEntries(remote: Remote, after: number, page = PAGE): Promise<EntryMeta[]> {
  const metas: EntryMeta[] = [];
  for (let at = after; ; ) {
    const got = await remote.list(at, page);
    metas.push(...got);
    if (got.length < page || !(got.at(-1)!.seq > at)) return metas;
    at = got.at(-1)!.seq;
  }
}
