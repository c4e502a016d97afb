// `sqlferry apply FILE`: apply a raw changeset or patchset file and commit what it changed.
import type { Command } from 'commander';
import { applyFile } from '../../repo/apply/apply-file.ts';
import { Replica } from '../../repo/replica.ts';
import { shownMeta } from '../../repo/log/log.ts';
import { withFile } from '../binary-files.ts';
import { globals, out } from '../output.ts';

export function registerApply(program: Command): void {
  program
    .command('apply')
    .description('apply a changeset or patchset file (from sqldiff, another session, an export) to the database and commit what it changed; a conflict applies nothing')
    .argument('<file>', 'a SQLite changeset or patchset file')
    .option('-m, --message <msg>', 'commit message (default: "apply FILE")')
    .option('--json', 'print the new entry as JSON (null when nothing changed)')
    .addHelpText('after', '\nExample:\n  $ sqldiff --changeset fix.changeset old.db fixed.db && sqlferry apply fix.changeset')
    .action((file: string, opts: { message?: string; json?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const replica = Replica.find(g.db);
      const meta = withFile(file, (bytes) => applyFile(replica, bytes, opts.message ?? `apply ${file}`));
      if (opts.json) out.json(meta && shownMeta(meta));
      else if (meta === null) out.info(g, 'The file changed no rows; nothing to commit.');
      else out.info(g, `Committed ${meta.seq} (${meta.size} bytes)`);
    });
}
