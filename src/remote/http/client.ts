// Requests to a hub server over node:http(s): one kept-alive connection per command (a shared
// agent; sequential requests reuse its socket), the token, a bounded wait for an answer and for
// every chunk after it, bodies compressed with zstd where the server speaks it (./encoding.ts),
// and every failure as one typed sentence (nothing listening, no answer, untrusted certificate,
// not a hub server, bad token, a link that dropped mid-transfer). Not fetch: loading undici costs
// a short command more than its whole conversation with the hub.
import type { Agent, ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import { drainedOrClosed } from '../../hub/drained.ts';

// Taken as CommonJS modules: an ESM import of node:http builds its export list, which loads
// Node's undici (for http.WebSocket), some 30 ms of a short command's start-up for nothing.
// node:https (and TLS behind it) only for an https hub.
const http = process.getBuiltinModule('node:http');
import { SqlferryError } from '../../errors/index.ts';
import { connectionLost, describeSocketError, timedOut, timeoutSeconds, unreachable } from '../errors.ts';
import { PROTOCOL_HEADER } from '../../hub/wire.ts';
import type { WireError } from '../../hub/wire.ts';
import { clientToken } from './token.ts';
import { ACCEPT_ENCODING, decoded } from './encoding.ts';

/** Uploads go out in slices so that each one proves progress to the watchdog. */
const SLICE = 256 * 1024;
/** The largest JSON answer taken: a list of entries runs to about 1 KiB each, so this is ~250,000 of them at once. */
const MAX_JSON_BYTES = 256 * 2 ** 20;

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT']);

/** How requests to one scheme go out; made on first use. */
interface Transport {
  request: (url: URL, options: RequestOptions, answered: (incoming: IncomingMessage) => void) => ClientRequest;
  /** Kept-alive sockets, idle ones unreferenced (they never hold a command open). */
  agent: Agent;
}

const transports = new Map<string, Transport>();

function transport(protocol: string): Transport {
  let made = transports.get(protocol);
  if (made === undefined) {
    const client = protocol === 'https:' ? process.getBuiltinModule('node:https') : http;
    made = { request: client.request, agent: new client.Agent({ keepAlive: true }) };
    transports.set(protocol, made);
  }
  return made;
}

export interface HubRequest {
  method?: 'GET' | 'PUT';
  query?: Record<string, number | undefined>;
  headers?: Record<string, string>;
  /** Bytes (sent with their length) or a stream of unknown length. */
  body?: Uint8Array | AsyncIterable<Uint8Array>;
}

/** An answer whose body is still to be read, once, with `json` or `stream`. */
export interface HubResponse {
  status: number;
  header(name: string): string | undefined;
  incoming: IncomingMessage;
  abort: AbortController;
}

/** Aborts a request after a silence of `timeoutSeconds()`; every sign of progress restarts it. */
function watchdog(abort: AbortController, reason: () => SqlferryError): { kick(): void; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  const kick = () => {
    clearTimeout(timer);
    timer = setTimeout(() => abort.abort(reason()), timeoutSeconds() * 1000);
  };
  kick();
  return { kick, stop: () => clearTimeout(timer) };
}

async function* sliced(body: Uint8Array | AsyncIterable<Uint8Array>, kick: () => void): AsyncGenerator<Uint8Array> {
  const chunks = body instanceof Uint8Array ? [body] : body;
  for await (const chunk of chunks) {
    for (let off = 0; off < chunk.byteLength; off += SLICE) {
      kick();
      yield chunk.subarray(off, off + SLICE);
    }
  }
}

/** Writes the body as the socket takes it; stops quietly when the request ends early (the server answered first). */
async function upload(request: ClientRequest, body: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const chunk of body) {
    if (request.destroyed) return;
    if (!request.write(chunk)) await drainedOrClosed(request);
  }
  request.end();
}

export class HubHttpClient {
  readonly url: string;
  /** The protocol version the server's last answer gave (wire.ts), 0 before any answer. */
  protocol = 0;
  private readonly token: string | undefined;

  constructor(url: string) {
    this.url = url.replace(/\/+$/, '');
    this.token = clientToken();
  }

  /** A successful answer whose body is still to be read with `json` or `stream`. */
  async request(during: string, path: string, req: HubRequest = {}): Promise<HubResponse> {
    const target = new URL(`${this.url}/${path}`);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined && Number.isFinite(v)) target.searchParams.set(k, String(v));
    const abort = new AbortController();
    const dog = watchdog(abort, () => timedOut(this.url, target.host, timeoutSeconds(), during));
    const length = req.body instanceof Uint8Array ? { 'content-length': String(req.body.byteLength) } : {};
    const { request: sendOn, agent } = transport(target.protocol);
    // Kept-alive sockets may have been closed by the server while this process was busy (its
    // keep-alive timeout): a GET sent on one is sent again, as long as the pool hands out such
    // sockets (each is dropped as it fails). A streamed body cannot be sent twice, so it gets a
    // connection of its own.
    const streamedBody = req.body !== undefined && !(req.body instanceof Uint8Array);
    const send = () => new Promise<IncomingMessage>((resolve, reject) => {
      const request = sendOn(target, {
        method: req.method ?? 'GET',
        headers: { 'accept-encoding': ACCEPT_ENCODING, ...req.headers, ...length, ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
        agent: streamedBody ? false : agent,
      }, resolve);
      // The watchdog's abort destroys the request with its reason (which `explain` reports), until
      // the request closes. Not the `signal` option, which does the same through Node's
      // add-abort-signal: compiling that costs a no-op sync ~2% of its instructions.
      const stop = () => request.destroy(abort.signal.reason as Error);
      if (abort.signal.aborted) stop();
      abort.signal.addEventListener('abort', stop, { once: true });
      request.once('close', () => abort.signal.removeEventListener('abort', stop));
      request.on('error', (err) => reject(Object.assign(err, { staleSocket: request.reusedSocket && (req.method ?? 'GET') === 'GET' && (err as { code?: string }).code === 'ECONNRESET' })));
      if (req.body) upload(request, sliced(req.body, dog.kick)).catch((err) => request.destroy(err));
      else request.end();
    });
    let incoming: IncomingMessage;
    try {
      const resent = (err: { staleSocket?: boolean }): Promise<IncomingMessage> => (err.staleSocket ? send().catch(resent) : Promise.reject(err));
      incoming = await send().catch(resent);
    } catch (err) {
      throw this.explain(err, abort, target.host, during);
    } finally {
      dog.stop();
    }
    incoming.on('error', () => {}); // read through `stream`, which reports it
    const header = (name: string) => {
      const value = incoming.headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    };
    const res: HubResponse = { status: incoming.statusCode ?? 0, header, incoming, abort };
    const protocol = header(PROTOCOL_HEADER);
    if (protocol === undefined) {
      incoming.destroy();
      throw new SqlferryError('HUB_NOT_A_HUB_SERVER', `${this.url} does not answer like a sqlferry hub server (HTTP ${res.status} without the sqlferry protocol header)`, {
        data: { url: this.url, status: res.status },
        hint: 'a hub URL is http(s)://HOST:PORT/REPO as served by `sqlferry serve`; check it with `sqlferry remote list`',
      });
    }
    this.protocol = Number(protocol) || 1;
    if (res.status < 200 || res.status > 299) throw this.fromWire(((await this.json(during, res)) as { error?: WireError }).error, res.status);
    return res;
  }

  async json(during: string, res: HubResponse): Promise<unknown> {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of this.stream(during, res)) {
      chunks.push(chunk);
      // A hub that never stops sending (or a small body that inflates) must not fill memory.
      if ((size += chunk.length) > MAX_JSON_BYTES) throw new SqlferryError('HUB_BAD_ANSWER', `${this.url} sent more than ${MAX_JSON_BYTES / 2 ** 20} MiB of JSON while ${during}`, { data: { url: this.url } });
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      throw new SqlferryError('HUB_BAD_ANSWER', `${this.url} sent an answer that is not JSON while ${during}`, { data: { url: this.url } });
    }
  }

  /** The body as it arrives (decompressed); a silence longer than the timeout aborts, a drop is HUB_CONNECTION_LOST. */
  async *stream(during: string, res: HubResponse): AsyncGenerator<Uint8Array> {
    const host = new URL(this.url).host;
    const chunks = decoded(res.incoming, res.header('content-encoding'), this.url)[Symbol.asyncIterator]();
    const stop = () => res.incoming.destroy();
    res.abort.signal.addEventListener('abort', stop, { once: true });
    try {
      for (;;) {
        const dog = watchdog(res.abort, () => timedOut(this.url, host, timeoutSeconds(), during));
        let next: IteratorResult<Uint8Array>;
        try {
          next = await chunks.next();
        } catch (err) {
          throw this.explain(err, res.abort, host, during);
        } finally {
          dog.stop();
        }
        if (next.done) return;
        yield next.value;
      }
    } finally {
      res.abort.signal.removeEventListener('abort', stop);
      // Left unread, the socket cannot carry the next request: close it rather than pool it.
      if (!res.incoming.complete) res.incoming.destroy();
    }
  }

  private explain(err: unknown, abort: AbortController, host: string, during: string): SqlferryError {
    if (err instanceof SqlferryError) return err;
    if (abort.signal.aborted && abort.signal.reason instanceof SqlferryError) return abort.signal.reason;
    const cause = (err as { cause?: unknown })?.cause ?? err;
    const code = String((cause as { code?: unknown })?.code ?? '');
    if (/CERT|SELF_SIGNED|TLS|SSL|UNABLE_TO_VERIFY/i.test(code)) {
      return new SqlferryError('HUB_TLS_FAILED', `the TLS certificate of ${host} is not trusted (${(cause as Error).message})`, {
        data: { url: this.url, code },
        cause: err,
        hint: 'if the server uses your own CA, point NODE_EXTRA_CA_CERTS at its certificate; otherwise check the host name',
      });
    }
    if (CONNECT_CODES.has(code)) return unreachable(this.url, host, describeSocketError(cause) ?? code, err);
    return connectionLost(this.url, during, err);
  }

  /** The server's typed error, restated with this client's URL where the server named its own. */
  private fromWire(wire: WireError | undefined, status: number): SqlferryError {
    if (!wire || typeof wire.code !== 'string') {
      return new SqlferryError('HUB_BAD_ANSWER', `${this.url} answered HTTP ${status} without a sqlferry error`, { data: { url: this.url, status } });
    }
    if (wire.code === 'HUB_TOKEN_MISSING' || wire.code === 'HUB_TOKEN_INVALID') {
      const missing = wire.code === 'HUB_TOKEN_MISSING';
      return new SqlferryError(wire.code, missing ? `the hub server at ${this.url} needs a token and none was given` : `the hub server at ${this.url} refused the token (HTTP 401)`, {
        data: { url: this.url, status },
        hint: missing ? 'set SQLFERRY_TOKEN, or SQLFERRY_TOKEN_FILE=PATH, to the token the server\'s operator gave you' : 'check SQLFERRY_TOKEN or the file SQLFERRY_TOKEN_FILE names: the server does not know this token',
      });
    }
    const serverName = typeof wire.data?.url === 'string' ? wire.data.url : undefined;
    const message = serverName ? wire.message.split(serverName).join(this.url) : `${wire.message} (${this.url})`;
    return new SqlferryError(wire.code, message, {
      data: { ...wire.data, ...(serverName ? { url: this.url } : {}), status },
      ...(wire.hint ? { hint: wire.hint } : {}),
      ...(typeof wire.exitCode === 'number' ? { exitCode: wire.exitCode } : {}),
    });
  }
}
