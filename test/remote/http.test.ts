// The shared conformance suite against the real hub server (`sqlferry serve`'s library call),
// in-process on port 0 with a token; appenders in other processes reach it over loopback.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { remoteConformance } from './conformance.ts';
import { droppingLink } from './dropping-link.ts';
import { httpRemote } from '../../src/remote/http/index.ts';
import { openRemote } from '../../src/remote/registry.ts';
import { startHubServer } from '../../src/server/serve.ts';
import { openFolderRoot } from '../../src/remote/file/store.ts';
import { loadTokens } from '../../src/server/tokens.ts';

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
