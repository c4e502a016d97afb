// `export N[..M]`: log entries as one raw changeset (or patchset) file, for other tools. The
// schema statements an entry carries are not part of any changeset format: they are named,
// so the caller can say so.
import { changesetToPatchset, concatChangesets } from '../../changeset/index.ts';
import type { ChangesetKind } from '../../changeset/types.ts';
import { SqlferryError, EXIT } from '../../errors/index.ts';
import type { Replica } from '../replica.ts';

export interface Export {
  bytes: Uint8Array;
  /** Entries in the range whose schema statements the file cannot carry. */
  withSchema: number[];
}

export function exportEntries(replica: Replica, from: number, to: number, kind: ChangesetKind): Export {
  const seqs = replica.seqs();
  if (from > to || !seqs.includes(from) || !seqs.includes(to)) {
    throw new SqlferryError('NO_SUCH_ENTRY', `there is no commit range ${from}..${to} in this log (it holds ${seqs.length > 0 ? `${seqs[0]}..${seqs.at(-1)}` : 'no commits'})`, {
      data: { from, to },
      exitCode: EXIT.usage,
      hint: 'sqlferry log lists the commits',
    });
  }
  const entries = seqs.filter((s) => s >= from && s <= to).map((s) => replica.entry(s));
  const joined = entries.length === 1 ? entries[0]!.bytes : concatChangesets(entries.map((e) => e.bytes));
  return {
    bytes: kind === 'patchset' && joined.length > 0 ? changesetToPatchset(joined) : joined,
    withSchema: entries.filter((e) => e.meta.schema.length > 0).map((e) => e.meta.seq),
  };
}
