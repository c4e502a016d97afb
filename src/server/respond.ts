// Writing answers and reading request bodies for the hub server: JSON, typed errors with their
// status, framed streams, and bodies read with a size limit (never past it).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { drainedOrClosed } from '../hub/drained.ts';
import { SqlferryError } from '../errors/index.ts';
import { META_LENGTH_HEADER, PROTOCOL_HEADER, PROTOCOL_VERSION, frameHead, statusFor } from '../hub/wire.ts';
import type { WireError } from '../hub/wire.ts';
import { batchFrames } from '../hub/wire-batch.ts';
import { answerBody, answerBodySync, decodedRequest } from './encoding.ts';
import type { EntryWithBytes } from '../hub/remote.ts';

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  res.end(writeJsonHead(res, status, value, headers));
}

/** Writes the head of a JSON answer and returns its body, which the caller writes. */
function writeJsonHead(res: ServerResponse, status: number, value: unknown, headers: Record<string, string>): Uint8Array {
  const { body, headers: encoding } = answerBodySync(res, Buffer.from(JSON.stringify(value)));
  res.writeHead(status, { ...headers, ...encoding, [PROTOCOL_HEADER]: PROTOCOL_VERSION, 'content-type': 'application/json', 'content-length': body.byteLength });
  return body;
}

/** A typed error keeps its code across the wire; anything else is a server fault, logged here, vague there. */
export function sendError(res: ServerResponse, err: unknown, log: (line: string) => void): void {
  // A store's own failure (PostgreSQL's sentence: users, hosts) is the operator's to read, not the client's.
  const told = err instanceof SqlferryError && err.code !== 'HUB_STORE_FAILED';
  const wire: WireError = told
    ? { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}), data: err.data, exitCode: err.exitCode }
    : { code: 'HUB_SERVER_ERROR', message: 'the hub server failed to answer (see its log)' };
  if (told && statusFor(err.code) === 503) log(`error: ${err.message} (${(err.cause as Error)?.message ?? 'no cause'})`); // expected while the store restarts: no stack
  else if (!told || statusFor(err.code) >= 500) log(`error: ${(err as Error)?.stack ?? String(err)}`);
  if (res.headersSent) {
    res.destroy(); // mid-stream: the client sees a broken transfer, never a short "success"
    return;
  }
  // The store is down for a moment (PostgreSQL restarting): say when to come back.
  const retryAfter = wire.data?.retryAfter;
  const body = writeJsonHead(res, statusFor(wire.code), { error: wire }, typeof retryAfter === 'number' ? { 'retry-after': String(retryAfter) } : {});
  if (res.req.complete) res.end(body);
  else {
    res.write(body);
    endAfterLinger(res);
  }
}

/** How long a refused request's body is still read (and dropped) before its connection is closed. */
const LINGER_MS = 2000;

/**
 * Refused before its body was read whole. Ending the response would close a `Connection: close`
 * connection at once (node:http does), and closing over unread bytes resets it: the reset can
 * destroy the answer before the client reads it, and the client sees EPIPE instead. So the answer
 * is written whole (its Content-Length tells the client it is complete), the rest of the body is
 * read and dropped, and the response ends when the body does, or after a moment (no more than a
 * client can send in it), when the connection is closed.
 */
function endAfterLinger(res: ServerResponse): void {
  const req = res.req;
  req.on('error', () => {});
  // The close waits for one more round of reading: a server starved of CPU for the whole linger
  // (a loaded machine) runs the timer before reading a body that arrived long before.
  const timer = setTimeout(
    () =>
      setImmediate(() => {
        if (req.readableEnded) return;
        res.end();
        req.socket?.destroy();
      }),
    LINGER_MS,
  ).unref();
  req.once('end', () => {
    clearTimeout(timer);
    res.end();
  });
  res.once('close', () => clearTimeout(timer));
  req.resume();
}

/**
 * Streams metadata then bytes. If the bytes fail their checksum mid-way the answer ends short
 * (cleanly): the client's own size/sha256 check then reports HUB_ENTRY_CORRUPT, as the folder
 * transport would, instead of a dropped connection.
 */
export async function sendFramed(res: ServerResponse, meta: object, body: AsyncIterable<Uint8Array>, log: (line: string) => void): Promise<void> {
  const head = frameHead(meta);
  res.writeHead(200, { [PROTOCOL_HEADER]: PROTOCOL_VERSION, 'content-type': 'application/octet-stream', [META_LENGTH_HEADER]: head.length });
  res.write(head);
  try {
    for await (const chunk of body) {
      if (!res.write(chunk)) await drainedOrClosed(res);
      if (res.destroyed) return;
    }
  } catch (err) {
    if (!(err instanceof SqlferryError) || err.code !== 'HUB_ENTRY_CORRUPT') throw err;
    log(`error: ${err.message}`);
  }
  res.end();
}

/** A batch of entries (src/hub/wire-batch.ts), already verified against their metadata; compressed when the client offers zstd. */
export async function sendBatch(res: ServerResponse, entries: EntryWithBytes[]): Promise<void> {
  const { body, headers } = await answerBody(res, Buffer.concat(batchFrames(entries)));
  res.writeHead(200, { ...headers, [PROTOCOL_HEADER]: PROTOCOL_VERSION, 'content-type': 'application/octet-stream', 'content-length': body.byteLength });
  res.end(body);
}

export function tooLarge(what: string, limit: number): SqlferryError {
  return new SqlferryError('HUB_BODY_TOO_LARGE', `${what} is larger than this hub server accepts (${limit} bytes)`, {
    data: { limit },
    hint: 'the server operator can raise the limit with `sqlferry serve --max-entry-mb / --max-snapshot-mb`',
  });
}

/**
 * The request body, decompressed, stopping with 413 as soon as it passes `limit` bytes, declared
 * or not (chunked), compressed or not. Stopping leaves the request open, so the answer still
 * reaches the client.
 */
export async function* limitedBody(req: IncomingMessage, limit: number, what: string): AsyncGenerator<Uint8Array> {
  const { body, encoded } = decodedRequest(req);
  const declared = Number(req.headers['content-length']);
  if (!encoded && Number.isFinite(declared) && declared > limit) throw tooLarge(what, limit);
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) throw tooLarge(what, limit);
    yield chunk;
  }
}
