// Compressed bodies, negotiated the standard way: the client offers `Accept-Encoding: zstd` and the
// server may answer with `Content-Encoding: zstd`; the client compresses an upload only for a
// server that speaks protocol 2 (src/hub/wire.ts), which takes zstd bodies, and only when
// compressing made it smaller. zstd from node:zlib, at a level cheap enough for a loaded machine.
import { SqlferryError } from '../../errors/index.ts';

/** node:zlib, loaded when a body is (de)compressed: a sync with nothing to send or fetch never pays for it. */
const zlib = () => process.getBuiltinModule('node:zlib');

export const ACCEPT_ENCODING = 'zstd';
/** Below this, a body goes as it is: the frame overhead would eat the gain. */
export const COMPRESS_FROM = 1024;
const LEVEL = 1;

/** The body to send and its headers: zstd when that is smaller. */
export async function encodedBody(bytes: Uint8Array): Promise<{ body: Uint8Array; headers: Record<string, string> }> {
  if (bytes.byteLength < COMPRESS_FROM) return { body: bytes, headers: {} };
  const { constants, zstdCompress } = zlib();
  const packed = await new Promise<Buffer>((done, fail) =>
    zstdCompress(bytes, { params: { [constants.ZSTD_c_compressionLevel]: LEVEL } }, (err, out) => (err ? fail(err) : done(out))));
  return packed.byteLength < bytes.byteLength ? { body: packed, headers: { 'content-encoding': 'zstd' } } : { body: bytes, headers: {} };
}

/** An answer's body as sent before compression; an encoding this client did not offer is the server's mistake. */
export function decoded(body: AsyncIterable<Uint8Array> & NodeJS.ReadableStream, encoding: string | undefined, url: string): AsyncIterable<Uint8Array> {
  if (encoding === undefined || encoding === 'identity') return body;
  if (encoding !== 'zstd') {
    throw new SqlferryError('HUB_BAD_ANSWER', `${url} answered with a body encoded as ${encoding}, which sqlferry did not ask for`, { data: { url, encoding } });
  }
  const plain = zlib().createZstdDecompress();
  body.on('error', (err) => plain.destroy(err));
  return body.pipe(plain);
}
