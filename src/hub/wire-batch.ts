// A batch of entries on the wire, both ways (GET and PUT /REPO/log, ./wire.ts): per entry, the
// length of its metadata JSON (4 bytes, big-endian) and of its bytes (8 bytes), the metadata, then
// the bytes. Lengths, not separators, so no entry's content can forge a boundary; the bytes' own
// length, not the metadata's `size`, so bytes that disagree with their metadata reach the hub's
// checks (a refusal that names them) instead of misaligning the rest.
import type { EntryWithBytes } from './remote.ts';
import { wireEntryMeta } from './wire.ts';

export const MAX_BATCH_META_BYTES = 1 << 20;

/** The frames of a batch, ready to send: no copy of the bytes. */
export function batchFrames(entries: EntryWithBytes[]): Uint8Array[] {
  return entries.flatMap(({ meta, bytes }) => {
    const json = Buffer.from(JSON.stringify(meta));
    const lengths = Buffer.alloc(12);
    lengths.writeUInt32BE(json.length, 0);
    lengths.writeBigUInt64BE(BigInt(bytes.byteLength), 4);
    return [lengths, json, bytes];
  });
}

export class BatchFormatError extends Error {}

/** Reads exact lengths from a stream of chunks, holding no more than what was asked for plus one chunk. */
class ExactReader {
  private readonly it: AsyncIterator<Uint8Array>;
  private held: Buffer[] = [];
  private have = 0;

  constructor(body: AsyncIterable<Uint8Array>) {
    this.it = body[Symbol.asyncIterator]();
  }

  /** Exactly `n` bytes; undefined when the stream ended cleanly before any of them. */
  async take(n: number): Promise<Buffer | undefined> {
    while (this.have < n) {
      const next = await this.it.next();
      if (next.done) {
        if (this.have === 0) return undefined;
        throw new BatchFormatError(`the batch ended inside an entry (${this.have} of ${n} bytes)`);
      }
      this.held.push(Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength));
      this.have += next.value.byteLength;
    }
    const all = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held);
    const rest = all.subarray(n);
    this.held = rest.length > 0 ? [rest] : [];
    this.have = rest.length;
    // A copy when the piece is a small slice of a large chunk, so the chunk is not kept alive by it.
    return all.length > 2 * n ? Buffer.from(all.subarray(0, n)) : all.subarray(0, n);
  }
}

/**
 * The entries of a batch body as they arrive. `limits.entryBytes` bounds each entry's bytes (a
 * larger one throws `tooLarge` before its bytes are read); a malformed body is BatchFormatError,
 * metadata that does not parse is HUB_META_CORRUPT.
 */
export async function* readBatchFrames(body: AsyncIterable<Uint8Array>, where: string, limits: { entryBytes: number; tooLarge: (seq: number) => Error }): AsyncGenerator<EntryWithBytes> {
  const reader = new ExactReader(body);
  for (;;) {
    const lengths = await reader.take(12);
    if (lengths === undefined) return;
    const metaLength = lengths.readUInt32BE(0);
    const size = lengths.readBigUInt64BE(4);
    if (metaLength === 0 || metaLength > MAX_BATCH_META_BYTES) throw new BatchFormatError(`an entry's metadata length (${metaLength}) is out of bounds`);
    const text = await reader.take(metaLength);
    if (text === undefined) throw new BatchFormatError('the batch ended inside an entry');
    const meta = wireEntryMeta(text.toString('utf8'), where);
    if (size > BigInt(Math.min(limits.entryBytes, Number.MAX_SAFE_INTEGER))) throw limits.tooLarge(meta.seq);
    const bytes = size === 0n ? Buffer.alloc(0) : await reader.take(Number(size));
    if (bytes === undefined) throw new BatchFormatError('the batch ended inside an entry');
    yield { meta, bytes };
  }
}
