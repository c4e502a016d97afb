// `sqlferry sync [REMOTE]`: commit, pull, push, with retries — for cron. Quiet unless a human
// is needed; exit 3 when it synced but recorded conflicts.
import type { Command } from 'commander';
import { EXIT, SqlferryError } from '../../errors/index.ts';
import { nullKeyNote, nullKeyRows } from '../../repo/capture/null-keys.ts';
import { Replica } from '../../repo/replica.ts';
import { sync, type RetryReason } from '../../sync/sync.ts';
import { globals, out } from '../output.ts';
import { terminalProgress } from '../progress.ts';
import { addHandlerOption, conflictLine, type HandlerFlags, handlersFor, remoteOf, uncheckedLine, warnSnapshot } from './sync-options.ts';

interface SyncFlags extends HandlerFlags {
  commit: boolean;
  message?: string;
  attempts?: string;
  retryFor: string;
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
    .option('--retry-for <seconds>', 'keep retrying while other replicas push first or the hub is briefly unavailable, for up to this long', '300')
    .option('--attempts <n>', 'also give up after this many pull-and-push rounds')
    .option('--jitter <seconds>', 'first wait a random time up to this many seconds (for a fleet whose cron fires at the same moment)')
    .option('--json', 'print the result as JSON');
  addHandlerOption(cmd)
    .addHelpText('after', '\nConflict kinds and handlers, each with an example: sqlferry pull --help\n\nExample:\n  $ sqlferry sync -q --jitter 60        # in a crontab: */5 * * * * cd /srv/app && sqlferry sync -q --jitter 60')
    .action(async (name: string | undefined, opts: SyncFlags, command: Command) => {
      const g = globals(command);
      const attempts = opts.attempts === undefined ? undefined : Number(opts.attempts);
      if (opts.attempts !== undefined && (!/^\s*\d+\s*$/.test(opts.attempts) || attempts! < 1)) {
        throw new SqlferryError('USAGE', `--attempts must be a whole number of at least 1, not ${JSON.stringify(opts.attempts)}`, { exitCode: EXIT.usage });
      }
      const retryForSeconds = Number(opts.retryFor);
      if (!(/^\s*\d+(\.\d+)?\s*$/.test(opts.retryFor) && retryForSeconds <= 86_400)) {
        throw new SqlferryError('USAGE', `--retry-for must be a number of seconds from 0 to 86400, not ${JSON.stringify(opts.retryFor)}`, { exitCode: EXIT.usage });
      }
      const jitterSeconds = opts.jitter === undefined ? 0 : Number(opts.jitter);
      if (opts.jitter !== undefined && !(/^\s*\d+(\.\d+)?\s*$/.test(opts.jitter) && jitterSeconds <= 3600)) {
        throw new SqlferryError('USAGE', `--jitter must be a number of seconds from 0 to 3600, not ${JSON.stringify(opts.jitter)}`, { exitCode: EXIT.usage });
      }
      const replica = Replica.find(g.db);
      const remote = await remoteOf(replica, name);
      try {
        const r = await sync(replica, remote, {
          handlers: await handlersFor(replica, opts), commit: opts.commit, retryForSeconds, jitterSeconds, progress: terminalProgress(g),
          ...(attempts !== undefined ? { attempts } : {}),
          onRetry: (why, waitMs, attempt) => out.verbose(g, retryLine(why, waitMs, attempt)),
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

function retryLine(why: RetryReason, waitMs: number, attempt: number): string {
  const what = { 'pushed-first': 'another replica pushed first', 'store-unavailable': 'the hub\'s store is unavailable', 'connection-lost': 'the connection to the hub dropped' }[why];
  return `Round ${attempt}: ${what}; trying again in ${(waitMs / 1000).toFixed(1)} s.`;
}
