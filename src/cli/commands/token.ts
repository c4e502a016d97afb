// `sqlferry token add|list|revoke --store …`: the bearer tokens a store keeps for `serve`
// (src/server/store-tokens.ts). Every server on the store sees a change at its next request.
import type { Command } from 'commander';
import { openStore } from '../../remote/registry.ts';
import type { Store, TokenRecord } from '../../hub/store.ts';
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

/** `read-only`, `read-write`, or `read-write (tables: a,b)`. */
function accessText(r: TokenRecord): string {
  if (r.access === 'read') return 'read-only';
  return r.tables === null ? 'read-write' : `read-write (tables: ${r.tables.join(',')})`;
}

export function registerToken(program: Command): void {
  const token = program
    .command('token')
    .description('the tokens a hub store accepts: per hub or for all, read-only or read-write, with an optional expiry and tables')
    .addHelpText('after', '\nExample:\n  $ sqlferry token add --store /srv/hubs --hub app --read-only --expires 90d');
  token
    .command('add')
    .description('make a token and print it (once: the store keeps only its sha256)')
    .requiredOption('--store <dir|url>', STORE_HELP)
    .option('--hub <name>', 'the one hub it opens (default: every hub of the store)')
    .option('--read-only', 'it may read but not push')
    .option('--expires <when>', 'refuse it after a while (30d, 12h, 90m) or a date (2027-01-31)')
    .option('--tables <names>', 'the only tables it may write, comma-separated: the hub refuses a push that changes, creates or alters any other (default: every table)')
    .option('--json', 'print the token and its record as JSON')
    .addHelpText('after', '\nExamples:\n  $ sqlferry token add --store postgres://sqlferry@db.internal/sqlferry --hub app --expires 30d\n  $ sqlferry token add --store /srv/hubs --hub fleet --tables readings,device_log')
    .action(async (opts: { store: string; hub?: string; readOnly?: boolean; expires?: string; tables?: string; json?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const { hub, expires, tables } = opts;
      const made = await withStore(opts.store, (store) =>
        addToken(store, { access: opts.readOnly ? 'read' : 'write', ...(hub === undefined ? {} : { hub }), ...(expires === undefined ? {} : { expires }), ...(tables === undefined ? {} : { tables }) }));
      if (opts.json) return out.json({ token: made.token, ...made.record });
      out.line(made.token);
      const r = made.record;
      out.verbose(g, `token ${r.id}: ${accessText(r)} on ${r.hub ? `/${r.hub}` : 'every hub'}${r.expires ? `, until ${r.expires}` : ''}`);
    });
  token
    .command('list')
    .description('list the tokens (ids, hub, access and tables, expiry; never the tokens themselves)')
    .requiredOption('--store <dir|url>', STORE_HELP)
    .option('--json', 'print the records as JSON')
    .addHelpText('after', '\nExample:\n  $ sqlferry token list --store /srv/hubs')
    .action(async (opts: { store: string; json?: boolean }) => {
      const records = await withStore(opts.store, (store) => store.tokens.list());
      if (opts.json) return out.json(records);
      const now = Date.now();
      for (const r of records) {
        const expiry = r.expires === null ? 'no expiry' : Date.parse(r.expires) <= now ? `expired ${r.expires}` : `until ${r.expires}`;
        out.line(`${r.id}\t${r.hub ?? '*'}\t${accessText(r)}\t${expiry}\tcreated ${r.created}`);
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
