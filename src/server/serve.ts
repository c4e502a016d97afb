// `sqlferry serve` as a library call: an HTTP(S) server over a store of hubs (a folder of hub
// folders, a PostgreSQL database). It holds no state of its own (see handler.ts), so stopping it
// at any moment loses nothing.
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { SqlferryError, EXIT } from '../errors/index.ts';
import { hubHandler } from './handler.ts';
import type { HubServerOptions } from './handler.ts';

export interface ServeOptions extends HubServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  tls?: { cert: string; key: string };
}

export interface RunningHubServer {
  /** The base URL; a hub's URL is this plus /REPO. */
  url: string;
  /** Stops accepting, lets requests in flight finish (bounded), then closes every connection. */
  close(graceMs?: number): Promise<void>;
}

function readTls(tls: { cert: string; key: string }): { cert: Buffer; key: Buffer } {
  try {
    return { cert: readFileSync(tls.cert), key: readFileSync(tls.key) };
  } catch (err) {
    throw new SqlferryError('SERVE_TLS_UNREADABLE', `cannot read the TLS certificate or key (${(err as Error).message})`, { exitCode: EXIT.usage });
  }
}

export async function startHubServer(opts: ServeOptions): Promise<RunningHubServer> {
  const handler = hubHandler(opts);
  // The handler answers every error itself; should anything still escape, it costs one request, never the server.
  const answer = (req: IncomingMessage, res: ServerResponse) =>
    void handler(req, res).catch((err: unknown) => {
      opts.log(`error: ${(err as Error)?.stack ?? String(err)}`);
      res.destroy();
    });
  const server: Server = opts.tls
    ? createHttpsServer({ ...readTls(opts.tls), requestTimeout: 0 }, answer)
    : createHttpServer({ requestTimeout: 0 }, answer);
  // A transfer may be long but never silent for long: idle sockets are closed after two minutes.
  server.setTimeout(120_000);
  await new Promise<void>((ok, fail) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      fail(new SqlferryError('SERVE_LISTEN_FAILED', `cannot listen on ${opts.host}:${opts.port} (${err.code === 'EADDRINUSE' ? 'the port is in use' : err.message})`, { exitCode: EXIT.usage })),
    );
    server.listen(opts.port, opts.host, () => ok());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `${opts.tls ? 'https' : 'http'}://${host}:${port}`,
    async close(graceMs = 5000): Promise<void> {
      const closed = new Promise<void>((ok) => server.close(() => ok()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}
