// The shared conformance suite against the real hub server (`sqlferry serve`'s library call),
// in-process on port 0 with a token; appenders in other processes reach it over loopback.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { remoteConformance } from './conformance.ts';
import { droppingLink } from './dropping-link.ts';
import { httpRemote } from '../../src/remote/http/index.ts';
import { openRemote } from '../../src/remote/registry.ts';
import { startHubServer } from '../../src/server/serve.ts';
import { openFolderRoot } from '../../src/remote/file/store.ts';
import { loadTokens } from '../../src/server/tokens.ts';
import { addGenesis, changeset, entry, hubInfo } from './hub-fixtures.ts';

const token = 'conformance-token-0123456789abcdef';
process.env.SQLFERRY_TOKEN = token; // the client's token; worker processes inherit it
const root = await mkdtemp(join(tmpdir(), 'sqlferry-http-remote-'));
const store = openFolderRoot(root);
const server = await startHubServer({
  store, host: '127.0.0.1', port: 0, tokens: loadTokens(token, undefined),
  maxEntryBytes: 64 << 20, maxSnapshotBytes: 64 << 20, log: () => {},
});
afterAll(() => server.close(100));

const repoOf = (url: string) => new URL(url).pathname.slice(1);
let n = 0;

remoteConformance('http', {
  freshUrl: async () => `${server.url}/hub${n++}`,
  create: (url, info) => httpRemote.create(url, info),
  open: (url) => openRemote(url),
  storeOf: async (url) => store.hub(repoOf(url)),
  async throughDroppingLink(url, direction, bytes) {
    const link = await droppingLink({ host: '127.0.0.1', port: Number(new URL(server.url).port) }, direction, bytes);
    return { url: `http://127.0.0.1:${link.port}/${repoOf(url)}`, close: link.close };
  },
});

describe('an upload larger than the socket takes at once', () => {
  it('waits for the socket without piling up listeners (no MaxListenersExceededWarning)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const url = `${server.url}/big-upload`;
      const hub = await httpRemote.create(url, hubInfo());
      await addGenesis(hub);
      const bytes = changeset(randomBytes(3 << 20).toString('base64')); // incompressible: every slice waits for the socket
      await hub.append(entry(1, bytes), bytes);
      expect(await hub.head()).toBe(1);
      await hub.close();
      await new Promise((r) => setImmediate(r)); // warnings are emitted on a later tick
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });
});
