// `sqlferry push [REMOTE]`: append the local commits to the hub, fast-forward only.
import type { Command } from 'commander';
import { Replica } from '../../repo/replica.ts';
import { push, type PushResult } from '../../sync/push.ts';
import { globals, out } from '../output.ts';
import { formatBytes, terminalProgress } from '../progress.ts';
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
        out.info(g, pushLine(r));
        if ('uploaded' in r.snapshot) out.info(g, `Uploaded a snapshot at entry ${r.snapshot.uploaded}, so new clones start from it.`);
        if ('failed' in r.snapshot) warnSnapshot(r.snapshot.failed);
      } finally {
        await remote.close();
      }
    });
}

/** What the push did, in one line: the hub started, commits sent, or nothing to do. */
export function pushLine(r: PushResult): string {
  const size = (n: number) => (n < 1e3 ? `${n} bytes` : formatBytes(n));
  const commits = `${r.pushed} commit${r.pushed === 1 ? '' : 's'} (${size(r.bytes)})`;
  if (r.started !== null) {
    const start = `Uploaded this replica's starting snapshot (${size(r.started)}) to the empty hub`;
    return r.pushed === 0 ? `${start}; no commits to push; hub at ${r.head}.` : `${start} and pushed ${commits}; hub at ${r.head}.`;
  }
  return r.pushed === 0 ? `Everything up to date (hub at ${r.head}).` : `Pushed ${commits}; hub at ${r.head}.`;
}
