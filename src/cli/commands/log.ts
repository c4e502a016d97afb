// `sqlferry log`: the commits, newest first.
import type { Command } from 'commander';
import { changesetStats } from '../../changeset/index.ts';
import { Replica } from '../../repo/replica.ts';
import { globals, out } from '../output.ts';

export function registerLog(program: Command): void {
  program
    .command('log')
    .description('list the commits, newest first')
    .option('--json', 'print the entries as a JSON array')
    .addHelpText('after', '\nExample:\n  $ sqlferry log --json')
    .action((opts: { json?: boolean }, cmd: Command) => {
      const replica = Replica.find(globals(cmd).db);
      const hubSeq = replica.state().hubSeq;
      const entries = replica
        .seqs()
        .reverse()
        .map((seq) => {
          const { meta, bytes } = replica.entry(seq);
          return { ...meta, onHub: seq <= hubSeq, changes: changesetStats(bytes).total };
        });
      if (opts.json) return out.json(entries);
      for (const e of entries) {
        const c = e.changes;
        out.line(`commit ${e.seq}${e.onHub ? '' : ' (not pushed)'}  ${e.time}  replica ${e.replicaId.slice(0, 8)}`);
        out.line(`    ${e.message || '(no message)'}`);
        out.line(`    ${c.inserts} inserted, ${c.updates} updated, ${c.deletes} deleted${e.schema.length ? `, ${e.schema.length} schema statement(s)` : ''}`);
        out.line();
      }
    });
}
