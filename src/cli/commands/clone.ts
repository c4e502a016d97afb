// `sqlferry clone URL DB`: a new replica from a hub's snapshot and the entries after it.
import type { Command } from 'commander';
import { openRemote } from '../../remote/registry.ts';
import { clone } from '../../sync/clone.ts';
import { globals, out } from '../output.ts';
import { terminalProgress } from '../progress.ts';
import { handlersFor, uncheckedLine } from './sync-options.ts';

export function registerClone(program: Command): void {
  program
    .command('clone')
    .description("make a new replica from a hub: its latest snapshot, then the entries after it; the remote is saved as origin")
    .argument('<url>', 'the hub: a folder path, file:///path, ssh://user@host/path, user@host:path or https://host/REPO')
    .argument('<db>', 'the new database file (must not exist)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  $ sqlferry clone /srv/hubs/app app.db')
    .action(async (url: string, db: string, opts: { json?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const remote = await openRemote(url);
      try {
        const r = await clone(remote, db, { handlers: await handlersFor(undefined, {}), progress: terminalProgress(g) });
        if (opts.json) return out.json({ db: r.replica.paths.db, replicaId: r.replica.replicaId, snapshot: r.snapshot, snapshotChecked: r.snapshotChecked, head: r.pull.head });
        if (!r.snapshotChecked) out.verbose(g, `The hub's snapshot at ${r.snapshot} carries no content digest (its entry was written by an older sqlferry): accepted without that check.`);
        if (r.pull.unchecked > 0) out.verbose(g, uncheckedLine(r.pull.unchecked));
        out.info(g, `Cloned ${url} into ${r.replica.paths.db} (snapshot at ${r.snapshot}, hub at ${Math.max(r.pull.head, r.snapshot)}).`);
      } finally {
        await remote.close();
      }
    });
}
