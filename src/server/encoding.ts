// Compressed bodies on the server side (the client's half is src/remote/http/encoding.ts): an
// answer is sent as zstd when the request's Accept-Encoding offers it and the body is large
// enough to gain; an upload with Content-Encoding: zstd is decompressed as it streams, and its
// size limit applies to what it decompresses to, so a small body cannot inflate past it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createZstdDecompress, constants, zstdCompress, zstdCompressSync } from 'node:zlib';
import { promisify } from 'node:util';
import { drainedOrClosed } from '../hub/drained.ts';
import { SqlferryError } from '../errors/index.ts';

const COMPRESS_FROM = 1024;
const PARAMS = { params: { [constants.ZSTD_c_compressionLevel]: 1 } };
const compress = promisify(zstdCompress);

/** Whether the request's Accept-Encoding offers zstd (with a q-value above 0). */
export function acceptsZstd(res: ServerResponse): boolean {
  const offered = String(res.req?.headers['accept-encoding'] ?? '');
  return offered.split(',').some((part) => {
    const [name, ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    return name === 'zstd' && (q === undefined || Number(q.slice(2)) > 0);
  });
}

/** The body to answer with and its encoding header; `sync` for small answers (JSON) that are not worth a trip to the thread pool. */
export async function answerBody(res: ServerResponse, body: Uint8Array): Promise<{ body: Uint8Array; headers: Record<string, string> }> {
  if (body.byteLength < COMPRESS_FROM || !acceptsZstd(res)) return { body, headers: {} };
  const packed = await compress(body, PARAMS);
  return { body: packed, headers: { 'content-encoding': 'zstd', vary: 'accept-encoding' } };
}

export function answerBodySync(res: ServerResponse, body: Uint8Array): { body: Uint8Array; headers: Record<string, string> } {
  if (body.byteLength < COMPRESS_FROM || !acceptsZstd(res)) return { body, headers: {} };
  return { body: zstdCompressSync(body, PARAMS), headers: { 'content-encoding': 'zstd', vary: 'accept-encoding' } };
}

/** The request body as sent before compression; an encoding the server does not speak is refused. */
export function decodedRequest(req: IncomingMessage): { body: AsyncIterable<Uint8Array>; encoded: boolean } {
  const encoding = req.headers['content-encoding'];
  const raw: AsyncIterable<Buffer> = { [Symbol.asyncIterator]: () => req.iterator({ destroyOnReturn: false }) };
  if (encoding === undefined || encoding === 'identity') return { body: raw, encoded: false };
  if (encoding !== 'zstd') throw new SqlferryError('HUB_BAD_REQUEST', `the request body is encoded as ${encoding}; this hub server takes zstd or none`);
  const plain = createZstdDecompress();
  plain.on('error', () => {}); // read through the loop below, which reports it
  return {
    encoded: true,
    body: (async function* () {
      const feeding = (async () => {
        for await (const chunk of raw) {
          if (plain.destroyed) return; // the reader stopped (a limit): leave the rest of the request unread
          if (!plain.write(chunk)) await drainedOrClosed(plain);
        }
        plain.end();
      })().catch((err) => plain.destroy(err));
      try {
        for await (const chunk of plain) yield chunk as Buffer;
      } catch (err) {
        throw new SqlferryError('HUB_BAD_REQUEST', `the request body is not valid zstd (${(err as Error).message})`);
      } finally {
        plain.destroy();
        void feeding;
      }
    })(),
  };
}
