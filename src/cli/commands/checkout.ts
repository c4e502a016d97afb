// `sqlferry checkout N -o FILE`: the database as it was after commit N.
import type { Command } from 'commander';
import { checkout } from '../../repo/base/checkout.ts';
import { Replica } from '../../repo/replica.ts';
import { globals, out } from '../output.ts';
import { parseSeq } from './parse-seq.ts';

export function registerCheckout(program: Command): void {
  program
    .command('checkout')
    .description('write the database as it was after commit N (0: as of init) to a new file')
    .argument('<n>', 'the commit number')
    .requiredOption('-o, --output <file>', 'the new database file')
    .addHelpText('after', '\nExample:\n  $ sqlferry checkout 3 -o app-at-3.db')
    .action((n: string, opts: { output: string }, cmd: Command) => {
      const g = globals(cmd);
      const path = checkout(Replica.find(g.db), parseSeq(n), opts.output);
      out.info(g, `Wrote ${path} (the database after commit ${n})`);
    });
}
