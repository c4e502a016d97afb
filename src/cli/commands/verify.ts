// `sqlferry verify`: checksums, integrity, and that the log replays to the base.
import type { Command } from 'commander';
import { Replica } from '../../repo/replica.ts';
import { verify } from '../../repo/verify.ts';
import { SqlferryError, EXIT } from '../../errors/index.ts';
import { globals, out } from '../output.ts';

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('check every log file against its checksum, PRAGMA integrity_check, and that the log replays to the base snapshot')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExample:\n  $ sqlferry verify')
    .action((opts: { json?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const report = verify(Replica.find(g.db));
      if (opts.json) out.json(report);
      else if (report.ok) out.info(g, `OK: ${report.entries} log entries, checksums, integrity and content (the log adds up to the base snapshot) verified`);
      if (!report.ok) {
        if (!opts.json) for (const p of report.problems) process.stderr.write(`problem: ${p}\n`);
        throw new SqlferryError('VERIFY_FAILED', `verify found ${report.problems.length} problem(s)`, { exitCode: EXIT.corrupt, data: { problems: report.problems } });
      }
    });
}
