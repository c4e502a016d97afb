// `sqlferry serve`: the HTTP(S) hub server over a folder of hubs (src/server/). Tokens come from
// SQLFERRY_TOKEN or --token-file, never from the command line.
import type { Command } from 'commander';
import { once } from 'node:events';
import { SqlferryError, EXIT } from '../../errors/index.ts';
import { startHubServer } from '../../server/serve.ts';
import { loadTokens } from '../../server/tokens.ts';
import { globals, out } from '../output.ts';

interface ServeFlags {
  root: string;
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
    .description('serve the hub folders under --root over HTTP(S): a hub in ROOT/NAME is at http(s)://HOST:PORT/NAME')
    .requiredOption('--root <dir>', 'the folder whose subfolders are hubs (made with `sqlferry init --bare`)')
    .option('--host <address>', 'the address to listen on', '127.0.0.1')
    .option('--port <n>', 'the port to listen on (0: any free port)', '8080')
    .option('--token-file <file>', 'bearer tokens, one per line, each optionally followed by read-only (SQLFERRY_TOKEN adds one read-write token)')
    .option('--no-auth', 'serve without tokens: anyone who can reach the port can read and push')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM); needs --tls-key')
    .option('--tls-key <file>', 'the private key (PEM) of --tls-cert')
    .option('--max-entry-mb <n>', 'the largest changeset a push may upload, in MiB', '128')
    .option('--max-snapshot-mb <n>', 'the largest snapshot a clone bootstrap may upload, in MiB', '16384')
    .addHelpText('after', '\nExample:\n  $ SQLFERRY_TOKEN=$(cat ~/.sqlferry-token) sqlferry serve --root /srv/hubs --host 0.0.0.0 --port 8443 --tls-cert cert.pem --tls-key key.pem')
    .action(async (flags: ServeFlags, cmd: Command) => {
      const g = globals(cmd);
      if (Boolean(flags.tlsCert) !== Boolean(flags.tlsKey)) {
        throw new SqlferryError('USAGE', 'HTTPS needs both --tls-cert and --tls-key', { exitCode: EXIT.usage });
      }
      const tokens = flags.auth ? loadTokens(process.env.SQLFERRY_TOKEN, flags.tokenFile) : [];
      if (flags.auth && tokens.length === 0) {
        throw new SqlferryError('SERVE_NO_TOKEN', 'serve needs at least one token to check', {
          exitCode: EXIT.usage,
          hint: 'set SQLFERRY_TOKEN, or pass --token-file FILE; or --no-auth to let anyone who can reach the port read and push',
        });
      }
      const server = await startHubServer({
        root: flags.root,
        host: flags.host,
        port: whole(flags.port, '--port', 0),
        tokens,
        ...(flags.tlsCert && flags.tlsKey ? { tls: { cert: flags.tlsCert, key: flags.tlsKey } } : {}),
        maxEntryBytes: whole(flags.maxEntryMb, '--max-entry-mb', 1) * 2 ** 20,
        maxSnapshotBytes: whole(flags.maxSnapshotMb, '--max-snapshot-mb', 1) * 2 ** 20,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      out.line(`Serving the hubs in ${flags.root} at ${server.url}/NAME${tokens.length ? '' : ' WITHOUT authentication'}`);
      out.verbose(g, 'stop with Ctrl-C (SIGINT) or SIGTERM');
      const signal = await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
      out.info(g, `Stopping (${String(signal[0] ?? 'signal')}): finishing requests in flight…`);
      await server.close();
    });
}
