// `sqlferry init [DB]`: make a database a replica.
import type { Command } from 'commander';
import { Replica } from '../../repo/replica.ts';
import { SqlferryError, EXIT } from '../../errors/index.ts';
import { globals, out } from '../output.ts';
import { initHub } from '../../sync/init-hub.ts';

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('make a SQLite database a replica: a sidecar folder DB.sqlferry/ beside it with config, base snapshot and log')
    .argument('[db]', 'the database file (or use --db)')
    .option('--json', 'print the result as JSON')
    .option('--bare', 'make DB a hub folder instead: the ordered log replicas push to and pull from')
    .option('--format <kind>', 'with --bare: what the hub stores, changeset or patchset (smaller)', 'changeset')
    .addHelpText('after', '\nExample:\n  $ sqlferry init app.db\n  $ sqlferry init --bare /srv/hubs/app')
    .action(async (db: string | undefined, opts: { json?: boolean; bare?: boolean; format: string }, cmd: Command) => {
      const g = globals(cmd);
      if (opts.bare && db !== undefined) {
        const hub = await initHub(db, opts.format);
        if (opts.json) return out.json({ hub: db, ...hub });
        return out.info(g, `Initialized an empty ${hub.kind} hub ${hub.hubId} in ${db}`);
      }
      const path = db ?? g.db;
      if (path === undefined) {
        throw new SqlferryError('USAGE', 'name the database to make a replica of', { exitCode: EXIT.usage, hint: 'sqlferry init app.db' });
      }
      const replica = Replica.init(path);
      if (opts.json) out.json({ db: replica.paths.db, sidecar: replica.paths.dir, replicaId: replica.replicaId });
      else out.info(g, `Initialized replica ${replica.replicaId} for ${replica.paths.db} in ${replica.paths.dir}`);
    });
}
