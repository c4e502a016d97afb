// `sqlferry push [REMOTE]`: append the local commits to the hub, fast-forward only.
import type { Command } from 'commander';
import { Replica } from '../../repo/replica.ts';
import { push } from '../../sync/push.ts';
import { globals, out } from '../output.ts';
import { terminalProgress } from '../progress.ts';
import { remoteOf, warnSnapshot } from './sync-options.ts';

export function registerPush(program: Command): void {
  program
    .command('push')
    .description('append the local commits to the hub; refused (exit 4) when the hub has entries this replica has not pulled')
    .argument('[remote]', 'the remote name (default: the only remote, or origin)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  $ sqlferry push origin')
    .action(async (name: string | undefined, opts: { json?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const replica = Replica.find(g.db);
      const remote = await remoteOf(replica, name);
      try {
        const r = await push(replica, remote, { progress: terminalProgress(g) });
        if (opts.json) return out.json(r);
        out.info(g, r.pushed === 0 ? `Everything up to date (hub at ${r.head}).` : `Pushed ${r.pushed} commit(s); hub at ${r.head}.`);
        if ('uploaded' in r.snapshot) out.info(g, `Uploaded a snapshot at ${r.snapshot.uploaded}, so new clones start from it.`);
        if ('failed' in r.snapshot) warnSnapshot(r.snapshot.failed);
      } finally {
        await remote.close();
      }
    });
}
