// `sqlferry hub migrate FROM TO`: copy a hub between stores (src/sync/migrate-hub.ts).
import type { Command } from 'commander';
import { migrateHub } from '../../sync/migrate-hub.ts';
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
}
