// `sqlferry sync [REMOTE]`: commit, pull, push, with retries — for cron. Quiet unless a human
// is needed; exit 3 when it synced but recorded conflicts.
import type { Command } from 'commander';
import { EXIT, SqlferryError } from '../../errors/index.ts';
import { nullKeyNote, nullKeyRows } from '../../repo/null-keys.ts';
import { Replica } from '../../repo/replica.ts';
import { sync } from '../../sync/sync.ts';
import { globals, out } from '../output.ts';
import { terminalProgress } from '../progress.ts';
import { addHandlerOption, conflictLine, type HandlerFlags, handlersFor, remoteOf, uncheckedLine, warnSnapshot } from './sync-options.ts';

interface SyncFlags extends HandlerFlags {
  commit: boolean;
  message?: string;
  attempts: string;
  jitter?: string;
  json?: boolean;
}

export function registerSync(program: Command): void {
  const cmd = program
    .command('sync')
    .description('commit, pull and push, retrying when another replica pushed in between; exit 3 when conflicts were recorded')
    .argument('[remote]', 'the remote name (default: the only remote, or origin)')
    .option('--no-commit', 'refuse to sync over uncommitted changes instead of committing them')
    .option('-m, --message <msg>', 'message for the commit of uncommitted changes', 'sync')
    .option('--attempts <n>', 'pull-and-push rounds before giving up', '5')
    .option('--jitter <seconds>', 'first wait a random time up to this many seconds (for a fleet whose cron fires at the same moment)')
    .option('--json', 'print the result as JSON');
  addHandlerOption(cmd)
    .addHelpText('after', '\nConflict kinds and handlers, each with an example: sqlferry pull --help\n\nExample:\n  $ sqlferry sync -q --jitter 60        # in a crontab: */5 * * * * cd /srv/app && sqlferry sync -q --jitter 60')
    .action(async (name: string | undefined, opts: SyncFlags, command: Command) => {
      const g = globals(command);
      const attempts = Number(opts.attempts);
      if (!/^\s*\d+\s*$/.test(opts.attempts) || attempts < 1) {
        throw new SqlferryError('USAGE', `--attempts must be a whole number of at least 1, not ${JSON.stringify(opts.attempts)}`, { exitCode: EXIT.usage });
      }
      const jitterSeconds = opts.jitter === undefined ? 0 : Number(opts.jitter);
      if (opts.jitter !== undefined && !(/^\s*\d+(\.\d+)?\s*$/.test(opts.jitter) && jitterSeconds <= 3600)) {
        throw new SqlferryError('USAGE', `--jitter must be a number of seconds from 0 to 3600, not ${JSON.stringify(opts.jitter)}`, { exitCode: EXIT.usage });
      }
      const replica = Replica.find(g.db);
      const remote = await remoteOf(replica, name);
      try {
        const r = await sync(replica, remote, {
          handlers: await handlersFor(replica, opts), commit: opts.commit, attempts, jitterSeconds, progress: terminalProgress(g),
          ...(opts.message ? { message: opts.message } : {}),
        });
        const nullKeys = nullKeyRows(replica);
        if (opts.json) out.json({ ...r, nullKeys });
        else if (r.skipped) out.info(g, 'Another sync is running on this replica; nothing done.');
        else {
          for (const c of r.conflicts) process.stderr.write(conflictLine(c) + '\n');
          for (const n of nullKeys) process.stderr.write(nullKeyNote(n) + '\n');
          if ('failed' in r.snapshot) warnSnapshot(r.snapshot.failed);
          if (r.unchecked > 0) out.verbose(g, uncheckedLine(r.unchecked));
          out.info(g, `Pulled ${r.pulled}, pushed ${r.pushed}; hub at ${r.head}.`);
        }
        if (r.conflicts.length > 0) process.exitCode = EXIT.conflicts;
      } finally {
        await remote.close();
      }
    });
}
