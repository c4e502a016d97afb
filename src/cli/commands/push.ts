// `sqlferry push [REMOTE]`: append the local commits to the hub, fast-forward only.
import type { Command } from 'commander';
import { Replica } from '../../repo/replica.ts';
import { push, type PushResult } from '../../sync/push.ts';
import { globals, out } from '../output.ts';
import { formatBytes, terminalProgress } from '../progress.ts';
import { remoteOf, warnSnapshot } from './sync-options.ts';
import { remoteUrl } from '../../sync/remotes.ts';
import { relative } from 'node:path';

export function registerPush(program: Command): void {
  program
    .command('push')
    .description('append the local commits to the hub; refused (exit 4) when the hub has entries this replica has not pulled. An empty hub is started from this replica\'s content (one that followed another hub then follows this one)')
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
        if (r.restarted !== null) out.info(g, restartLines(replica, name, remote.url, r.restarted));
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
  if (r.restarted !== null) {
    return `Started the empty hub from this replica's content as of commit ${r.restarted.fromSeq} (a starting snapshot of ${size(r.restarted.size)}); hub at ${r.head}.`;
  }
  if (r.started !== null) {
    const start = `Uploaded this replica's starting snapshot (${size(r.started)}) to the empty hub`;
    return r.pushed === 0 ? `${start}; no commits to push; hub at ${r.head}.` : `${start} and pushed ${commits}; hub at ${r.head}.`;
  }
  return r.pushed === 0 ? `Everything up to date (hub at ${r.head}).` : `Pushed ${commits}; hub at ${r.head}.`;
}

/** After starting a new hub: what became of the old history, and how to sync with the new hub by default. */
function restartLines(replica: Replica, name: string | undefined, url: string, start: NonNullable<PushResult['restarted']>): string {
  const lines = [
    `This replica now follows that hub; its commits are numbered from 1 again. Its history with the previous hub is kept in ${relative(process.cwd(), start.archive) || start.archive}.`,
  ];
  const fallback = defaultRemote(replica);
  if (name !== undefined && fallback !== undefined && fallback !== name) lines.push(`To sync with it without naming it: sqlferry remote set-url ${fallback} ${shellWord(url)}`);
  return lines.join('\n');
}

function defaultRemote(replica: Replica): string | undefined {
  try {
    return remoteUrl(replica, undefined).name;
  } catch {
    return undefined;
  }
}

/** A word the shell reads back as it is (hints are pasted). */
function shellWord(word: string): string {
  return /^[\w./:@%+=,-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}
