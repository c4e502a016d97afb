// `sqlferry pull [REMOTE]`: fetch the hub's new entries and rebase the local commits onto them.
import type { Command } from 'commander';
import { EXIT, SqlferryError } from '../../errors/index.ts';
import { Replica } from '../../repo/replica.ts';
import { pull } from '../../sync/pull.ts';
import type { Assumption } from '../../repo/pull-recovery/recover-pull.ts';
import { globals, out } from '../output.ts';
import { terminalProgress } from '../progress.ts';
import { addHandlerOption, HANDLERS_HELP, conflictLine, handlersFor, remoteOf, uncheckedLine, type HandlerFlags } from './sync-options.ts';

interface PullFlags extends HandlerFlags {
  commit: boolean;
  message?: string;
  json?: boolean;
  recover?: Assumption;
}

export function registerPull(program: Command): void {
  const cmd = program
    .command('pull')
    .description("fetch the hub's new entries, undo the local commits, apply the hub's, re-apply the local ones through the conflict handlers — all in one transaction")
    .argument('[remote]', 'the remote name (default: the only remote, or origin)')
    .option('--no-commit', 'refuse to pull over uncommitted changes instead of committing them first')
    .option('-m, --message <msg>', 'message for the commit of uncommitted changes')
    .option('--recover <outcome>', 'after an interrupted pull that cannot tell on its own: committed or rolled-back')
    .option('--json', 'print the result as JSON');
  addHandlerOption(cmd)
    .addHelpText('after', `${HANDLERS_HELP}\nExample:\n  $ sqlferry pull origin --conflict-handler Genre.primary-key=rekey \\\n      --conflict-handler Genre.unique=merge-unique`)
    .action(async (name: string | undefined, opts: PullFlags, command: Command) => {
      const g = globals(command);
      if (opts.recover !== undefined && opts.recover !== 'committed' && opts.recover !== 'rolled-back') {
        throw new SqlferryError('USAGE', `--recover must be committed or rolled-back, not ${JSON.stringify(opts.recover)}`, { exitCode: EXIT.usage });
      }
      const replica = Replica.find(g.db);
      if (opts.recover) await replica.withLockAsync(async () => {}, opts.recover);
      const remote = await remoteOf(replica, name);
      try {
        const r = await pull(replica, remote, { handlers: await handlersFor(replica, opts), commit: opts.commit, progress: terminalProgress(g), ...(opts.message ? { message: opts.message } : {}) });
        if (opts.json) out.json(r);
        else {
          for (const c of r.conflicts) process.stderr.write(conflictLine(c) + '\n');
          if (r.unchecked > 0) out.verbose(g, uncheckedLine(r.unchecked));
          out.info(g, r.pulled === 0 ? `Already up to date (hub at ${r.head}).` : `Pulled ${r.pulled} entr${r.pulled === 1 ? 'y' : 'ies'}; hub at ${r.head}${r.localCommit ? `; local changes rebased as commit ${r.localCommit}` : ''}.`);
        }
        if (r.conflicts.length > 0) process.exitCode = EXIT.conflicts;
      } finally {
        await remote.close();
      }
    });
}
