// A hub file is read no further than one byte past its stated size (src/hub/folder/one-past.ts):
// the folder engine's only bound over SFTP, where the server decides what a read returns.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { upToOnePast } from '../../src/hub/folder/one-past.ts';
import { collect } from '../../src/hub/checksum.ts';

describe('upToOnePast', () => {
  it('yields the first size + 1 bytes (or all, when fewer) and asks the source for no chunk beyond them', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 12 }), fc.nat(300), async (chunks, size) => {
        let asked = 0;
        let closed = false;
        async function* source() {
          try {
            for (const c of chunks) {
              asked++;
              yield c;
            }
          } finally {
            closed = true;
          }
        }
        const all = Buffer.concat(chunks);
        const got = await collect(upToOnePast(source(), size));
        expect(Buffer.from(got)).toEqual(all.subarray(0, size + 1));
        const needed = chunks.findIndex((_, i) => Buffer.concat(chunks.slice(0, i + 1)).length >= size + 1);
        expect(asked).toBe(needed === -1 ? chunks.length : needed + 1);
        expect(closed).toBe(true);
      }),
    );
  });
});
