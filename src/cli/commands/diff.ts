// `sqlferry diff`: the uncommitted changes themselves, as SQL or JSON.
import type { Command } from 'commander';
import { renderJson, renderSql } from '../../changeset/index.ts';
import { columnNamesOf, withUncommittedDiff } from '../../repo/capture/diff.ts';
import { Replica } from '../../repo/replica.ts';
import { globals, out } from '../output.ts';
import { printLines } from './print-lines.ts';

export function registerDiff(program: Command): void {
  program
    .command('diff')
    .description('show the uncommitted changes: schema statements, then one SQL statement per changed row')
    .option('--sql', 'as SQL statements (the default)')
    .option('--json', 'as one JSON document: {schema, changes}')
    .addHelpText('after', '\nExample:\n  $ sqlferry diff --sql > pending.sql')
    .action((opts: { json?: boolean; sql?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const replica = Replica.find(g.db);
      replica.withLock(() =>
        withUncommittedDiff(replica.paths, (diff) => {
          out.verbose(g, diff.compared.why);
          if (opts.json) {
            out.json({ schema: diff.schema.statements, changes: [...diff.changes()].map(renderJson) });
          } else {
            printLines(diff.schema.statements.map((s) => `${s};`));
            printLines(renderSql(diff.changes(), columnNamesOf(diff.live)));
          }
        }),
      );
    });
}
