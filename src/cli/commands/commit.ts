// `sqlferry commit [-m MSG]`: record what changed as the next numbered changeset.
import type { Command } from 'commander';
import { commit } from '../../repo/capture/commit.ts';
import { nullKeyNote, nullKeyRows } from '../../repo/capture/null-keys.ts';
import { Replica } from '../../repo/replica.ts';
import { shownMeta } from '../../repo/log/log.ts';
import { globals, out } from '../output.ts';

export function registerCommit(program: Command): void {
  program
    .command('commit')
    .description('record the changes since the last commit as the next numbered changeset')
    .option('-m, --message <msg>', 'what the change is', '')
    .option('--json', 'print the new entry as JSON (null when nothing changed)')
    .addHelpText('after', '\nExample:\n  $ sqlferry commit -m "new prices"')
    .action((opts: { message: string; json?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const replica = Replica.find(g.db);
      const meta = commit(replica, { message: opts.message, explain: (line) => out.verbose(g, line) });
      for (const n of nullKeyRows(replica)) process.stderr.write(nullKeyNote(n) + '\n');
      if (opts.json) out.json(meta && shownMeta(meta));
      else if (meta === null) out.info(g, 'Nothing to commit.');
      else out.info(g, `Committed ${meta.seq} (${meta.size} bytes${meta.schema.length ? `, ${meta.schema.length} schema statement(s)` : ''})${meta.message ? `: ${meta.message}` : ''}`);
    });
}
