// `sqlferry log`: the commits, newest first. It reads metadata only, so it stays fast on a
// long log; --stat also reads each changeset to count its rows. -n N reads only the newest N,
// found by name without listing the log folder.
import type { Command } from 'commander';
import { changeStats, type ChangeCounts } from '../../changeset/index.ts';
import { EXIT, SqlferryError } from '../../errors/index.ts';
import { Replica } from '../../repo/replica.ts';
import { shownMeta } from '../../repo/log/log.ts';
import { globals, out } from '../output.ts';

export function registerLog(program: Command): void {
  program
    .command('log')
    .description('list the commits, newest first')
    .option('--stat', 'also count the rows each commit inserts, updates and deletes (reads every changeset)')
    .option('--json', 'print the entries as a JSON array')
    .option('-n, --max-count <n>', 'only the newest N commits')
    .addHelpText('after', '\nExample:\n  $ sqlferry log -n 5 --stat')
    .action((opts: { stat?: boolean; json?: boolean; maxCount?: string }, cmd: Command) => {
      const count = opts.maxCount === undefined ? undefined : Number(opts.maxCount);
      if (count !== undefined && (!/^\s*\d+\s*$/.test(opts.maxCount!) || count < 1)) {
        throw new SqlferryError('USAGE', `-n must be a whole number of at least 1, not ${JSON.stringify(opts.maxCount)}`, { exitCode: EXIT.usage });
      }
      const replica = Replica.find(globals(cmd).db);
      const hubSeq = replica.state().hubSeq;
      const seqs = count === undefined ? replica.seqs() : replica.seqsAfter(replica.lastSeq() - count);
      const entries = seqs
        .reverse()
        .map((seq) => {
          const meta = replica.meta(seq);
          const entry = { ...shownMeta(meta), onHub: seq <= hubSeq };
          return opts.stat ? { ...entry, changes: countsOf(replica, seq) } : entry;
        });
      if (opts.json) out.json(entries);
      else {
        for (const e of entries) {
          out.line(`commit ${e.seq}${e.onHub ? '' : ' (not pushed)'}  ${e.time}  replica ${e.replicaId.slice(0, 8)}`);
          out.line(`    ${e.message || '(no message)'}`);
          const schema = e.schema.length ? `, ${e.schema.length} schema statement(s)` : '';
          const changes = 'changes' in e ? e.changes : undefined;
          if (changes === undefined) out.line(`    ${e.size} bytes${schema}`);
          else if ('error' in changes) out.line(`    cannot be read: ${changes.error}`);
          else out.line(`    ${changes.inserts} inserted, ${changes.updates} updated, ${changes.deletes} deleted${schema}`);
          out.line();
        }
      }
      if (entries.some((e) => 'changes' in e && 'error' in e.changes)) process.exitCode = EXIT.corrupt;
    });
}

/** A damaged entry is reported in its place (exit code 6 at the end), not the end of the listing. */
function countsOf(replica: Replica, seq: number): ChangeCounts | { error: string } {
  try {
    const { meta, changes } = replica.entryChanges(seq); // a piece at a time: a bulk load's entry may not fit in memory
    return changeStats(changes(), meta.kind).total;
  } catch (err) {
    if (err instanceof SqlferryError) return { error: err.message };
    throw err;
  }
}
