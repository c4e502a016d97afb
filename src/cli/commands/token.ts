// `sqlferry token add|list|revoke --store …`: the bearer tokens a store keeps for `serve`
// (src/server/store-tokens.ts). Every server on the store sees a change at its next request.
import type { Command } from 'commander';
import { openStore } from '../../remote/registry.ts';
import type { Store } from '../../hub/store.ts';
import { addToken, revokeToken } from '../../server/store-tokens.ts';
import { globals, out } from '../output.ts';

const STORE_HELP = 'the store `serve --store` serves: a folder of hubs, or postgres://[user@]host[:port]/DATABASE';

async function withStore<T>(where: string, run: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(where);
  try {
    return await run(store);
  } finally {
    await store.close();
  }
}

export function registerToken(program: Command): void {
  const token = program
    .command('token')
    .description('the tokens a hub store accepts: per hub or for all, read-only or read-write, with an optional expiry')
    .addHelpText('after', '\nExample:\n  $ sqlferry token add --store /srv/hubs --hub app --read-only --expires 90d');
  token
    .command('add')
    .description('make a token and print it (once: the store keeps only its sha256)')
    .requiredOption('--store <dir|url>', STORE_HELP)
    .option('--hub <name>', 'the one hub it opens (default: every hub of the store)')
    .option('--read-only', 'it may read but not push')
    .option('--expires <when>', 'refuse it after a while (30d, 12h, 90m) or a date (2027-01-31)')
    .option('--json', 'print the token and its record as JSON')
    .addHelpText('after', '\nExample:\n  $ sqlferry token add --store postgres://sqlferry@db.internal/sqlferry --hub app --expires 30d')
    .action(async (opts: { store: string; hub?: string; readOnly?: boolean; expires?: string; json?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const made = await withStore(opts.store, (store) =>
        addToken(store, { access: opts.readOnly ? 'read' : 'write', ...(opts.hub === undefined ? {} : { hub: opts.hub }), ...(opts.expires === undefined ? {} : { expires: opts.expires }) }));
      if (opts.json) return out.json({ token: made.token, ...made.record });
      out.line(made.token);
      const r = made.record;
      out.verbose(g, `token ${r.id}: ${r.access === 'read' ? 'read-only' : 'read-write'} on ${r.hub ? `/${r.hub}` : 'every hub'}${r.expires ? `, until ${r.expires}` : ''}`);
    });
  token
    .command('list')
    .description('list the tokens (ids, scope, expiry; never the tokens themselves)')
    .requiredOption('--store <dir|url>', STORE_HELP)
    .option('--json', 'print the records as JSON')
    .addHelpText('after', '\nExample:\n  $ sqlferry token list --store /srv/hubs')
    .action(async (opts: { store: string; json?: boolean }) => {
      const records = await withStore(opts.store, (store) => store.tokens.list());
      if (opts.json) return out.json(records);
      const now = Date.now();
      for (const r of records) {
        const expiry = r.expires === null ? 'no expiry' : Date.parse(r.expires) <= now ? `expired ${r.expires}` : `until ${r.expires}`;
        out.line(`${r.id}\t${r.hub ?? '*'}\t${r.access === 'read' ? 'read-only' : 'read-write'}\t${expiry}\tcreated ${r.created}`);
      }
    });
  token
    .command('revoke')
    .description('refuse a token from the next request on, on every server of the store')
    .argument('<id>', 'the id `token list` shows')
    .requiredOption('--store <dir|url>', STORE_HELP)
    .addHelpText('after', '\nExample:\n  $ sqlferry token revoke --store /srv/hubs 3f9a0c1b2d4e')
    .action(async (id: string, opts: { store: string }, cmd: Command) => {
      await withStore(opts.store, (store) => revokeToken(store, id));
      out.info(globals(cmd), `Revoked token ${id}`);
    });
}
