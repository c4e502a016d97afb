// Requests to a hub server with global fetch: the token, a bounded wait for an answer and for
// every chunk after it, and every failure as one typed sentence (nothing listening, no answer,
// untrusted certificate, not a hub server, bad token, a link that dropped mid-transfer).
import { SqlferryError } from '../../errors/index.ts';
import { connectionLost, describeSocketError, timedOut, timeoutSeconds, unreachable } from '../errors.ts';
import { PROTOCOL_HEADER } from '../../hub/wire.ts';
import type { WireError } from '../../hub/wire.ts';
import { clientToken } from './token.ts';

/** Uploads go out in slices so that each one proves progress to the watchdog. */
const SLICE = 256 * 1024;

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT']);

export interface HubRequest {
  method?: 'GET' | 'PUT';
  query?: Record<string, number | undefined>;
  headers?: Record<string, string>;
  /** Bytes (sent with their length) or a stream of unknown length. */
  body?: Uint8Array | AsyncIterable<Uint8Array>;
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
  async request(during: string, path: string, req: HubRequest = {}): Promise<{ res: Response; abort: AbortController }> {
    const target = new URL(`${this.url}/${path}`);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined && Number.isFinite(v)) target.searchParams.set(k, String(v));
    const abort = new AbortController();
    const dog = watchdog(abort, () => timedOut(this.url, target.host, timeoutSeconds(), during));
    const length = req.body instanceof Uint8Array ? { 'content-length': String(req.body.byteLength) } : {};
    let res: Response;
    try {
      res = await fetch(target, {
        method: req.method ?? 'GET',
        headers: { ...req.headers, ...length, ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
        ...(req.body ? { body: ReadableStream.from(sliced(req.body, dog.kick)), duplex: 'half' } : {}),
        signal: abort.signal,
        redirect: 'error',
      } as RequestInit);
    } catch (err) {
      throw this.explain(err, abort, target.host, during);
    } finally {
      dog.stop();
    }
    const protocol = res.headers.get(PROTOCOL_HEADER);
    if (protocol !== null) this.protocol = Number(protocol) || 1;
    if (protocol === null) {
      void res.body?.cancel();
      throw new SqlferryError('HUB_NOT_A_HUB_SERVER', `${this.url} does not answer like a sqlferry hub server (HTTP ${res.status} without the sqlferry protocol header)`, {
        data: { url: this.url, status: res.status },
        hint: 'a hub URL is http(s)://HOST:PORT/REPO as served by `sqlferry serve`; check it with `sqlferry remote list`',
      });
    }
    if (!res.ok) throw this.fromWire(((await this.json(during, res, abort)) as { error?: WireError }).error, res.status);
    return { res, abort };
  }

  async json(during: string, res: Response, abort: AbortController): Promise<unknown> {
    const chunks: Uint8Array[] = [];
    for await (const chunk of this.stream(during, res, abort)) chunks.push(chunk);
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      throw new SqlferryError('HUB_BAD_ANSWER', `${this.url} sent an answer that is not JSON while ${during}`, { data: { url: this.url } });
    }
  }

  /** The body as it arrives; a silence longer than the timeout aborts, a drop is HUB_CONNECTION_LOST. */
  async *stream(during: string, res: Response, abort: AbortController): AsyncGenerator<Uint8Array> {
    const reader = res.body!.getReader();
    const host = new URL(this.url).host;
    try {
      for (;;) {
        const dog = watchdog(abort, () => timedOut(this.url, host, timeoutSeconds(), during));
        let next: Awaited<ReturnType<typeof reader.read>>;
        try {
          next = await reader.read();
        } catch (err) {
          throw this.explain(err, abort, host, during);
        } finally {
          dog.stop();
        }
        if (next.done) return;
        yield next.value;
      }
    } finally {
      reader.releaseLock();
      if (!abort.signal.aborted) void res.body?.cancel().catch(() => {});
    }
  }

  private explain(err: unknown, abort: AbortController, host: string, during: string): SqlferryError {
    if (err instanceof SqlferryError) return err;
    if (abort.signal.aborted && abort.signal.reason instanceof SqlferryError) return abort.signal.reason;
    const cause = (err as { cause?: unknown })?.cause ?? err;
    const code = String((cause as { code?: unknown })?.code ?? '');
    if (/CERT|SELF_SIGNED|TLS|SSL|ERR_SSL/i.test(code)) {
      return new SqlferryError('HUB_TLS_FAILED', `the TLS certificate of ${host} is not trusted (${(cause as Error).message})`, {
        data: { url: this.url, code },
        cause: err,
        hint: 'if the server uses your own CA, point NODE_EXTRA_CA_CERTS at its certificate; otherwise check the host name',
      });
    }
    if (CONNECT_CODES.has(code)) return unreachable(this.url, host, describeSocketError(cause) ?? code, err);
    if ((cause as Error)?.message === 'bad port') return unreachable(this.url, host, 'fetch refuses that port (it belongs to another protocol)', err);
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
