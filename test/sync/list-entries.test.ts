// A pull lists the hub's entries a page at a time (src/sync/list-entries.ts), so a replica far
// behind never asks for one huge answer: the pages, put together, are the whole list.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fileRemote } from '../../src/remote/file/index.ts';
import { listEntries } from '../../src/sync/list-entries.ts';
import { addGenesis, chain, changeset, hubInfo } from '../remote/hub-fixtures.ts';
import { tempDir } from './helpers.ts';

describe('listEntries', () => {
  it('puts the pages together into the whole list, from any position, whatever the page size', async () => {
    const hub = await fileRemote.create(join(tempDir(), 'hub'), hubInfo());
    try {
      await addGenesis(hub);
      const bodies = Array.from({ length: 25 }, (_, i) => changeset(`entry ${i}`));
      const metas = chain(bodies);
      await hub.appendBatch(bodies.map((bytes, i) => ({ meta: metas[i]!, bytes })));
      for (const page of [1, 5, 10, 24, 25, 26]) {
        for (const after of [0, 3, 24, 25]) {
          expect((await listEntries(hub, after, page)).map((m) => m.seq), `page ${page}, after ${after}`).toEqual(metas.slice(after).map((m) => m.seq));
        }
      }
    } finally {
      await hub.close();
    }
  });
});
