// `sqlferry export N[..M]`: log entries as one raw changeset or patchset file.
import type { Command } from 'commander';
import { SqlferryError, EXIT } from '../../errors/index.ts';
import { exportEntries } from '../../repo/log/export-entries.ts';
import { Replica } from '../../repo/replica.ts';
import { writeBinary } from '../binary-files.ts';
import { globals, out } from '../output.ts';
import { parseSeq } from './parse-seq.ts';

function parseRange(text: string): [number, number] {
  const [from, to, ...rest] = text.split('..');
  if (from === undefined || rest.length > 0) throw new SqlferryError('USAGE', `"${text}" is not a commit or a range N..M`, { exitCode: EXIT.usage });
  return [parseSeq(from), parseSeq(to ?? from)];
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('write commit N, or commits N..M squashed into one, as a raw SQLite changeset (or --patchset) file for other tools')
    .argument('<range>', 'a commit number N, or a range N..M (squashed in memory: up to 64 MiB of commits together)')
    .option('-o, --output <file>', 'the file to write (default: stdout, unless it is a terminal)')
    .option('--patchset', 'write a patchset (smaller; cannot be inverted)')
    .addHelpText('after', '\nExample:\n  $ sqlferry export 3..7 -o week.changeset')
    .action((range: string, opts: { output?: string; patchset?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const [from, to] = parseRange(range);
      const kind = opts.patchset ? 'patchset' : 'changeset';
      const result = exportEntries(Replica.find(g.db), from, to, kind);
      const size = writeBinary(result.chunks, opts.output);
      // Written to stdout, the file is the whole output: the report is only for -o.
      const what = from === to ? `commit ${from}` : `commits ${from}..${to}`;
      if (opts.output !== undefined) out.info(g, `Wrote ${what} to ${opts.output} as a ${kind} (${size} bytes)`);
      if (result.withSchema.length > 0) {
        process.stderr.write(`note: commit(s) ${result.withSchema.join(', ')} also change the schema, which a changeset file cannot carry; sqlferry show N --sql lists those statements\n`);
      }
    });
}
