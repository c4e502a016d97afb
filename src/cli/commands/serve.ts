// `sqlferry serve`: the HTTP(S) hub server over a store of hubs (src/server/): a folder of hub
// folders or a PostgreSQL database. Tokens come from SQLFERRY_TOKEN, --token-file or the store
// (`sqlferry token add`), never from the command line.
import type { Command } from 'commander';
import { once } from 'node:events';
import { SqlferryError, EXIT } from '../../errors/index.ts';
import { startHubServer } from '../../server/serve.ts';
import { loadTokens } from '../../server/tokens.ts';
import { openStore } from '../../remote/registry.ts';
import { globals, out } from '../output.ts';

interface ServeFlags {
  root?: string;
  store?: string;
  host: string;
  port: string;
  tokenFile?: string;
  auth: boolean;
  tlsCert?: string;
  tlsKey?: string;
  maxEntryMb: string;
  maxSnapshotMb: string;
}

function whole(value: string, flag: string, min: number): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new SqlferryError('USAGE', `${flag} must be a whole number of at least ${min}, not ${JSON.stringify(value)}`, { exitCode: EXIT.usage });
  return n;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve a store of hubs over HTTP(S): a hub NAME of the store is at http(s)://HOST:PORT/NAME')
    .option('--store <dir|url>', 'where the hubs are: a folder whose subfolders are hubs, or postgres://[user@]host[:port]/DATABASE (password: PGPASSWORD or ~/.pgpass)')
    .option('--root <dir>', 'the same as --store DIR')
    .option('--host <address>', 'the address to listen on', '127.0.0.1')
    .option('--port <n>', 'the port to listen on (0: any free port)', '8080')
    .option('--token-file <file>', 'bearer tokens for every hub, one per line, each optionally followed by read-only (SQLFERRY_TOKEN adds one read-write token); the store\'s own tokens (`sqlferry token add`) count too')
    .option('--no-auth', 'serve without tokens: anyone who can reach the port can read and push')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM); needs --tls-key')
    .option('--tls-key <file>', 'the private key (PEM) of --tls-cert')
    .option('--max-entry-mb <n>', 'the largest changeset a push may upload, in MiB', '128')
    .option('--max-snapshot-mb <n>', 'the largest snapshot a clone bootstrap may upload, in MiB', '16384')
    .addHelpText('after', '\nExample:\n  $ SQLFERRY_TOKEN=$(cat ~/.sqlferry-token) sqlferry serve --store /srv/hubs --host 0.0.0.0 --port 8443 --tls-cert cert.pem --tls-key key.pem\n  $ PGPASSWORD=… sqlferry serve --store postgres://sqlferry@db.internal/sqlferry?sslmode=verify-full')
    .action(async (flags: ServeFlags, cmd: Command) => {
      const g = globals(cmd);
      if (Boolean(flags.tlsCert) !== Boolean(flags.tlsKey)) {
        throw new SqlferryError('USAGE', 'HTTPS needs both --tls-cert and --tls-key', { exitCode: EXIT.usage });
      }
      const where = flags.store ?? flags.root;
      if (where === undefined || (flags.store !== undefined && flags.root !== undefined)) {
        throw new SqlferryError('USAGE', 'name the hubs to serve with --store DIR|URL (or --root DIR), once', { exitCode: EXIT.usage });
      }
      const tokens = flags.auth ? loadTokens(process.env.SQLFERRY_TOKEN, flags.tokenFile) : [];
      const store = await openStore(where);
      if (flags.auth && tokens.length === 0 && (await store.tokens.list()).length === 0) {
        await store.close();
        throw new SqlferryError('SERVE_NO_TOKEN', 'serve needs at least one token to check', {
          exitCode: EXIT.usage,
          hint: 'set SQLFERRY_TOKEN, pass --token-file FILE, or add one to the store with `sqlferry token add --store …`; or --no-auth to let anyone who can reach the port read and push',
        });
      }
      const server = await startHubServer({
        store,
        noAuth: !flags.auth,
        host: flags.host,
        port: whole(flags.port, '--port', 0),
        tokens,
        ...(flags.tlsCert && flags.tlsKey ? { tls: { cert: flags.tlsCert, key: flags.tlsKey } } : {}),
        maxEntryBytes: whole(flags.maxEntryMb, '--max-entry-mb', 1) * 2 ** 20,
        maxSnapshotBytes: whole(flags.maxSnapshotMb, '--max-snapshot-mb', 1) * 2 ** 20,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      out.line(`Serving the hubs in ${store.url} at ${server.url}/NAME${flags.auth ? '' : ' WITHOUT authentication'}`);
      out.verbose(g, 'stop with Ctrl-C (SIGINT) or SIGTERM');
      const signal = await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
      out.info(g, `Stopping (${String(signal[0] ?? 'signal')}): finishing requests in flight…`);
      await server.close();
      await store.close();
    });
}
