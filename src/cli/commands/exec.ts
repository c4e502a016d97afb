// `sqlferry exec "SQL…"`: run SQL and commit exactly what it changed.
import type { Command } from 'commander';
import { execSql } from '../../repo/apply/exec.ts';
import { Replica } from '../../repo/replica.ts';
import { shownMeta } from '../../repo/log/log.ts';
import { globals, out } from '../output.ts';

export function registerExec(program: Command): void {
  program
    .command('exec')
    .description('run SQL on the database through a session and commit exactly the rows it changed')
    .argument('<sql>', 'SQL statements (row changes; schema changes go through commit)')
    .option('-m, --message <msg>', 'commit message (default: the SQL)')
    .option('--json', 'print the new entry as JSON (null when nothing changed)')
    .addHelpText('after', `\nExample:\n  $ sqlferry exec "UPDATE prices SET amount = amount * 1.1 WHERE id = 7"`)
    .action((sql: string, opts: { message?: string; json?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const { entry: meta, notCaptured } = execSql(Replica.find(g.db), sql, opts.message);
      // Changes kept in the database but not in the entry: always said, on stderr (--json prints the entry alone).
      for (const n of notCaptured) process.stderr.write(`note: the changes to ${n.table} are kept but not in this commit: ${n.reason}\n`);
      if (opts.json) out.json(meta && shownMeta(meta));
      else if (meta === null) out.info(g, notCaptured.length > 0 ? 'The SQL changed no rows sqlferry records; its changes are kept.' : 'The SQL changed no rows; nothing to commit.');
      else out.info(g, `Committed ${meta.seq} (${meta.size} bytes)`);
    });
}
