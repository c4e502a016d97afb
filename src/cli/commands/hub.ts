// `sqlferry hub migrate FROM TO`: copy a hub between stores (src/sync/migrate-hub.ts);
// `sqlferry hub prune URL`: remove what killed pushes left in it (src/sync/prune-hub.ts).
import type { Command } from 'commander';
import { SqlferryError, EXIT } from '../../errors/index.ts';
import { durationMs } from '../../shared/duration.ts';
import { migrateHub } from '../../sync/migrate-hub.ts';
import { MIN_OLDER_THAN_MS, pruneHub } from '../../sync/prune-hub.ts';
import { formatBytes } from '../progress.ts';
import { globals, out } from '../output.ts';

export function registerHub(program: Command): void {
  const hub = program
    .command('hub')
    .description('work on hubs themselves, wherever they are stored')
    .addHelpText('after', '\nExample:\n  $ sqlferry hub migrate /srv/hubs/app postgres://sqlferry@db.internal/sqlferry/app');
  hub
    .command('migrate')
    .description('copy the hub at FROM to TO (any two of a folder, ssh://, postgres://…/DATABASE/HUB, https://), checking every checksum; a cut-short copy continues where it stopped')
    .argument('<from>', 'the hub to copy')
    .argument('<to>', 'where the copy goes: a new hub, or one this command began')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  $ PGPASSWORD=… sqlferry hub migrate /srv/hubs/app postgres://sqlferry@db.internal/sqlferry/app\n  $ sqlferry remote set-url origin https://hub.example/app   # on each replica, if its URL changes')
    .action(async (from: string, to: string, opts: { json?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const result = await migrateHub(from, to, (seq, head) => {
        if (seq % 1000 === 0 || seq === head) out.verbose(g, `copied entry ${seq} of ${head}`);
      });
      if (opts.json) return out.json({ from, to, ...result });
      const continued = result.continuedFrom > 0 ? ` (continued after entry ${result.continuedFrom})` : '';
      out.info(g, `Copied hub ${result.hubId} to ${to}: ${result.entries} entries and ${result.snapshots} snapshots${continued}, every checksum checked; it has ${result.head} entries`);
    });
  hub
    .command('prune')
    .description('remove what killed pushes left in a folder or SSH hub (bytes no entry or snapshot names, staged files), once nothing has written them for a while')
    .argument('<url>', 'the hub: a folder or ssh://')
    .option('--older-than <span>', 'keep leftovers written to more recently than this (90m, 12h, 30d; at least 10m): a push may still be at work', '1h')
    .option('--dry-run', 'list what would be removed, remove nothing')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ sqlferry hub prune /srv/hubs/app --dry-run\n  $ sqlferry hub prune ssh://backup.example/srv/hubs/app --older-than 1d')
    .action(async (url: string, opts: { olderThan: string; dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const olderThanMs = durationMs(opts.olderThan);
      if (olderThanMs === undefined) {
        throw new SqlferryError('USAGE', `--older-than must be a span such as 90m, 12h or 30d, not ${JSON.stringify(opts.olderThan)}`, { exitCode: EXIT.usage });
      }
      if (olderThanMs < MIN_OLDER_THAN_MS) {
        throw new SqlferryError('USAGE', `--older-than must be at least ${MIN_OLDER_THAN_MS / 60_000}m, not ${opts.olderThan}: a push still at work may not have published the bytes it wrote yet`, { exitCode: EXIT.usage });
      }
      const dryRun = opts.dryRun === true;
      const result = await pruneHub(url, { olderThanMs, dryRun });
      if (opts.json) return out.json({ url, dryRun, ...result });
      if (!result.applies) return out.info(g, `${url} is kept in PostgreSQL, where a killed push leaves nothing behind: nothing to prune`);
      for (const name of result.removed) out.verbose(g, `${dryRun ? 'would remove' : 'removed'} ${name}`);
      const kept = result.recent > 0 ? `; ${result.recent} written to within ${opts.olderThan} kept (a push may still be at work)` : '';
      if (result.removed.length === 0) return out.info(g, `Nothing to prune in ${url}${kept}`);
      const what = `${result.removed.length} leftover file${result.removed.length === 1 ? '' : 's'} (${formatBytes(result.bytes)})`;
      out.info(g, `${dryRun ? 'Would remove' : 'Removed'} ${what} from ${url}${kept}`);
    });
}
