// Checksums on everything that crosses a transport: bytes are verified as they stream,
// so a reader never finishes consuming a damaged entry.
import { createHash } from 'node:crypto';
import { EntryCorruptError } from './errors.ts';
import type { Body } from './remote.ts';

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Passes the chunks through; the last one is held back until size and sha256 are checked. */
export async function* verified(
  what: string,
  expected: { sha256: string; size: number },
  body: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  const hash = createHash('sha256');
  let size = 0;
  let held: Uint8Array | undefined;
  let streamed = false;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > expected.size) throw new EntryCorruptError(what, `${expected.size} bytes`, `more`);
    if (held) {
      hash.update(held);
      streamed = true;
      yield held;
    }
    held = chunk;
  }
  if (size !== expected.size) throw new EntryCorruptError(what, `${expected.size} bytes`, `${size} bytes`);
  // A body read in one piece (a file read whole) is hashed on the thread pool, beside the main thread's work.
  const actual = held && !streamed ? Buffer.from(await crypto.subtle.digest('SHA-256', held)).toString('hex') : hash.update(held ?? new Uint8Array()).digest('hex');
  if (actual !== expected.sha256) throw new EntryCorruptError(what, expected.sha256, actual);
  if (held) yield held;
}

/** Bytes held whole, checked against their metadata (hashed on the thread pool); HUB_ENTRY_CORRUPT when they differ. */
export async function verifiedBytes(what: string, expected: { sha256: string; size: number }, bytes: Uint8Array): Promise<Uint8Array> {
  if (bytes.byteLength !== expected.size) throw new EntryCorruptError(what, `${expected.size} bytes`, `${bytes.byteLength} bytes`);
  const actual = Buffer.from(await crypto.subtle.digest('SHA-256', bytes)).toString('hex');
  if (actual !== expected.sha256) throw new EntryCorruptError(what, expected.sha256, actual);
  return bytes;
}

export async function collect(body: Body): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body;
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

export async function* asStream(body: Body): AsyncGenerator<Uint8Array> {
  if (body instanceof Uint8Array) yield body;
  else yield* body;
}
