// `export N[..M]`: log entries as one raw changeset (or patchset) file, for other tools. The
// schema statements an entry carries are not part of any changeset format: they are named,
// so the caller can say so. One entry is written a piece at a time, whatever its size (a
// patchset is record by record the changeset's). A range is squashed (concatChangesets: a row
// changed twice comes out once), which needs every row of the range in memory at once: up to
// RANGE_HELD_PIECES pieces of entries together; a larger range is refused, not tried.
import { changesetToPatchset, concatChangesets, writeChunks } from '../../changeset/index.ts';
import type { ChangesetKind } from '../../changeset/types.ts';
import { SqlferryError, EXIT } from '../../errors/index.ts';
import { passed } from '../../shared/collect.ts';
import { pieceBytes } from '../../shared/pieces.ts';
import type { Replica } from '../replica.ts';

export interface Export {
  /** The file's bytes, read (and converted) as they are taken. */
  chunks: Iterable<Uint8Array>;
  /** Entries in the range whose schema statements the file cannot carry. */
  withSchema: number[];
}

/** A range squashed in memory holds at most this many pieces of entries (64 MiB). */
export const RANGE_HELD_PIECES = 64;

export function exportEntries(replica: Replica, from: number, to: number, kind: ChangesetKind): Export {
  const seqs = replica.seqs();
  if (from > to || !seqs.includes(from) || !seqs.includes(to)) {
    throw new SqlferryError('NO_SUCH_ENTRY', `there is no commit range ${from}..${to} in this log (it holds ${seqs.length > 0 ? `${seqs[0]}..${seqs.at(-1)}` : 'no commits'})`, {
      data: { from, to },
      exitCode: EXIT.usage,
      hint: 'sqlferry log lists the commits',
    });
  }
  if (from === to) {
    const entry = replica.entryChanges(from);
    const chunks = kind === 'changeset' || entry.meta.kind === 'patchset' ? entry.chunks() : writeChunks('patchset', entry.changes(), pieceBytes());
    return { chunks: letGo(chunks), withSchema: entry.meta.schema.length > 0 ? [from] : [] };
  }
  const metas = seqs.filter((s) => s >= from && s <= to).map((s) => replica.meta(s));
  const total = metas.reduce((sum, meta) => sum + meta.size, 0);
  const limit = RANGE_HELD_PIECES * pieceBytes();
  if (total > limit) {
    throw new SqlferryError('EXPORT_TOO_LARGE', `commits ${from}..${to} hold ${total} bytes together, more than export squashes in memory (${limit}); nothing was written`, {
      data: { from, to, size: total, limit },
      hint: 'export the commits one at a time (sqlferry export N), or a shorter range',
    });
  }
  const joined = concatChangesets(metas.map((meta) => replica.entry(meta.seq).bytes));
  return {
    chunks: [kind === 'patchset' && joined.length > 0 ? changesetToPatchset(joined) : joined],
    withSchema: metas.filter((meta) => meta.schema.length > 0).map((meta) => meta.seq),
  };
}

/** Each chunk counted as garbage once the next is asked for (written out by then). */
function* letGo(chunks: Iterable<Uint8Array>): Generator<Uint8Array> {
  for (const chunk of chunks) {
    yield chunk;
    passed(chunk.byteLength, true);
  }
}
