// Fetching the hub's entries after the ones this replica has, in batches (one round trip each on
// a network hub, two in flight): every entry's checksum is verified, and its parent must be the
// entry before it (or the genesis), so a hub with another history is refused instead of applied.
// Each batch is handed to the caller in order as soon as it is checked, while the next one
// travels: a pull counts what the entries change while the rest of the bytes arrive.
import type { EntryMeta, Remote } from '../hub/remote.ts';
import { checkSchemaStatements } from '../hub/schema-rule.ts';
import { SqlferryError, EXIT } from '../errors/index.ts';
import { counted, tracked, type Progress } from './progress.ts';
import { metered, streamed } from '../shared/pieces.ts';
import { writeStreamDurably } from './write-stream.ts';
import { BATCH_ENTRIES, leadingWithin } from '../hub/batch.ts';
import { entryNotFound } from '../hub/errors.ts';
import { listEntries } from './list-entries.ts';

/** A hub entry fetched: its bytes in memory, or, for a large one, in a file (written durably, checked). */
export type FetchedEntry = { meta: EntryMeta; bytes: Uint8Array } | { meta: EntryMeta; file: string };

/** Where a large entry's bytes go as they arrive (src/shared/pieces.ts: never held whole). */
export type SpillTo = (seq: number) => string;

/** Told of each batch of entries, in order, once verified and checked against the history: what the caller does meanwhile overlaps the next batch's transfer. */
export type TakeBatch = (entries: FetchedEntry[]) => Promise<void> | void;

/** Batches in flight at once: the next one travels while the last one's answer is read. */
const BATCHES_AT_ONCE = 2;
/**
 * Bytes a batch asks for: small enough that the caller's work on the first overlaps the transfer
 * of the rest (on a folder or SSH hub every entry is a file of its own anyway), large enough that
 * an HTTP hub's round trips stay few.
 */
const FETCH_BYTES = 1 << 20;

export async function fetchEntries(remote: Remote, after: number, tip: string, spill: SpillTo, progress?: Progress, take?: TakeBatch): Promise<FetchedEntry[]> {
  const metas = await listEntries(remote, after);
  const total = metas.reduce((n, m) => n + m.size, 0);
  const label = `Fetching ${metas.length} hub entr${metas.length === 1 ? 'y' : 'ies'}`;
  const groups: EntryMeta[][] = [];
  for (let rest = metas; rest.length > 0; rest = rest.slice(groups.at(-1)!.length)) {
    const small = rest.slice(0, BATCH_ENTRIES);
    const cut = small.findIndex((m) => streamed(m.size));
    groups.push(cut === 0 ? [rest[0]!] : leadingWithin(cut < 0 ? small : small.slice(0, cut), FETCH_BYTES));
  }
  const fetched: FetchedEntry[] = [];
  let parent = tip;
  await tracked(progress, label, total, 'bytes', async (advance) => {
    const fetchGroup = async (group: EntryMeta[]): Promise<FetchedEntry[]> => {
      if (streamed(group[0]!.size)) {
        const file = spill(group[0]!.seq);
        const { meta, body } = await remote.read(group[0]!.seq);
        await writeStreamDurably(file, counted(metered(body), advance));
        return [{ meta, file }];
      }
      const got = await readGroup(remote, group);
      advance?.(got.reduce((n, e) => n + e.bytes.byteLength, 0));
      return got;
    };
    const inFlight: Array<Promise<FetchedEntry[]>> = [];
    let next = 0;
    const send = () => {
      for (; inFlight.length < BATCHES_AT_ONCE && next < groups.length; next++) {
        const got = fetchGroup(groups[next]!);
        got.catch(() => {}); // awaited in turn; one failing ahead of its turn must not go unhandled
        inFlight.push(got);
      }
    };
    try {
      send();
      while (inFlight.length > 0) {
        const got = await inFlight.shift()!;
        send();
        for (const entry of got) {
          const { meta } = entry;
          if (meta.seq !== after + fetched.length + 1 || meta.parent !== parent) throw historyMismatch(remote.url, meta.seq);
          checkSchemaStatements(meta.schema, `hub entry ${meta.seq}`); // the whole pull is refused before anything applies
          parent = meta.sha256;
          fetched.push(entry);
        }
        await take?.(got);
      }
    } finally {
      await Promise.allSettled(inFlight); // nothing left writing or reading behind a refusal
    }
  });
  return fetched;
}

/** The listed entries `group`, in as many batches as the hub needs to send them all. */
async function readGroup(remote: Remote, group: EntryMeta[]): Promise<Array<{ meta: EntryMeta; bytes: Uint8Array }>> {
  const got: Array<{ meta: EntryMeta; bytes: Uint8Array }> = [];
  const maxBytes = group.reduce((n, m) => n + m.size, 0);
  while (got.length < group.length) {
    const after = group[got.length]!.seq - 1;
    const more = await remote.readBatch(after, { limit: group.length - got.length, maxBytes });
    if (more.length === 0) throw entryNotFound(remote.url, after + 1); // listed a moment ago: the hub lost it
    got.push(...more);
  }
  return got.slice(0, group.length);
}

export function historyMismatch(url: string, seq: number): SqlferryError {
  return new SqlferryError('HUB_HISTORY_MISMATCH', `the hub at ${url} does not continue this replica's history (entry ${seq} has another parent)`, {
    data: { url, seq },
    exitCode: EXIT.corrupt,
    hint: 'the hub was replaced or rewritten; clone a fresh replica from it (sqlferry clone URL DB)',
  });
}
