// `sqlferry revert N`: a new commit undoing commit N.
import type { Command } from 'commander';
import { Replica } from '../../repo/replica.ts';
import { revert } from '../../repo/apply/revert.ts';
import { globals, out } from '../output.ts';
import { parseSeq } from './parse-seq.ts';

export function registerRevert(program: Command): void {
  program
    .command('revert')
    .description('undo commit N in the database, as a new commit; refused when later changes touched the same rows')
    .argument('<n>', 'the commit to undo')
    .option('-m, --message <msg>', 'commit message (default: "Revert commit N")')
    .option('--json', 'print the new entry as JSON')
    .addHelpText('after', '\nExample:\n  $ sqlferry revert 4')
    .action((n: string, opts: { message?: string; json?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const meta = revert(Replica.find(g.db), parseSeq(n), opts.message);
      if (opts.json) out.json(meta);
      else out.info(g, `Committed ${meta.seq}: ${meta.message}`);
    });
}
