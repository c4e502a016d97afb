// One request → one call on a hub: the hub's rules (src/hub/stored-hub.ts) over the store the
// server was given. The server keeps nothing between requests: every fact lives in the store
// (hub folders, a PostgreSQL database), so any number of `serve` processes can share it and the
// store's exclusive append keeps racing appends exactly-one-wins across all of them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SqlferryError } from '../errors/index.ts';
import { StoredHub } from '../hub/stored-hub.ts';
import { collect } from '../hub/checksum.ts';
import { parseHubInfo } from '../hub/meta.ts';
import { META_LENGTH_HEADER, parseMetaLength, readFrame, wireEntryMeta, wireSnapshotMeta } from '../hub/wire.ts';
import { authorize } from './authorize.ts';
import type { AuthOptions } from './authorize.ts';
import { route } from './routes.ts';
import type { Route } from './routes.ts';
import { limitedBody, sendBatch, sendError, sendFramed, sendJson, tooLarge } from './respond.ts';
import { BatchFormatError, readBatchFrames } from '../hub/wire-batch.ts';
import { BATCH_BYTES, BATCH_ENTRIES } from '../hub/batch.ts';
import type { EntryWithBytes } from '../hub/remote.ts';
import { streamed } from '../shared/pieces.ts';

export interface HubServerOptions extends AuthOptions {
  maxEntryBytes: number;
  maxSnapshotBytes: number;
  log: (line: string) => void;
}

const MAX_META_BYTES = 1 << 20;
/** What one batch may carry (64 MiB, or one entry up to --max-entry-mb), whatever a client asks: the server holds a batch in memory. */
const MAX_BATCH_ENTRIES = 2 * BATCH_ENTRIES;
const MAX_BATCH_BYTES = 8 * BATCH_BYTES;

const badRequest = (message: string) => new SqlferryError('HUB_BAD_REQUEST', message);

async function framedMeta(req: IncomingMessage, body: AsyncIterable<Uint8Array>) {
  const length = parseMetaLength(req.headers[META_LENGTH_HEADER] as string | undefined, MAX_META_BYTES);
  if (length === undefined) throw badRequest(`the request lacks a valid ${META_LENGTH_HEADER} header`);
  return readFrame(body, length).catch((err) => {
    throw err instanceof SqlferryError ? err : badRequest(`the body is shorter than its ${META_LENGTH_HEADER} header says`);
  });
}

/** Metadata a client sent that does not parse is its mistake (400), unlike a damaged file on the hub. */
function clientMeta<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof SqlferryError && err.code === 'HUB_META_CORRUPT') throw new SqlferryError('HUB_BAD_REQUEST', err.message, { data: err.data });
    throw err;
  }
}

export function hubHandler(opts: HubServerOptions) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const url = new URL(req.url ?? '/', 'http://hub');
      const r = route(req.method ?? 'GET', url.pathname);
      const store = await authorize(opts, req, r);
      await answer({ ...opts, store }, r, url.searchParams, req, res);
    } catch (err) {
      if (!res.socket || res.socket.destroyed) opts.log(`${req.method} ${req.url}: the client went away mid-request; nothing was stored`);
      else sendError(res, err, opts.log);
    }
  };
}

async function answer(opts: HubServerOptions, r: Route, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const hub = new StoredHub(opts.store.hub(r.repo));
  const where = `the request for /${r.repo}`;
  const number = (name: string): number | undefined => {
    const raw = query.get(name);
    if (raw === null) return undefined;
    if (!/^\d{1,15}$/.test(raw)) throw badRequest(`?${name}= must be a whole number, not ${JSON.stringify(raw)}`);
    return Number(raw);
  };
  switch (r.write ? `put ${r.action}` : r.action) {
    case 'info': {
      // The head with it: a client meeting the hub (a pull, a no-op sync) needs both.
      const [info, head] = await Promise.all([hub.info(), hub.head()]);
      return sendJson(res, 200, { ...info, head });
    }
    case 'put info': {
      const text = Buffer.from(await collect(limitedBody(req, MAX_META_BYTES, 'the hub info'))).toString('utf8');
      const info = clientMeta(() => parseHubInfo(text, where));
      await (await opts.store.createHub(r.repo, info)).close();
      return sendJson(res, 201, info);
    }
    case 'head':
      return sendJson(res, 200, { head: await hub.head() });
    case 'entries':
      return sendJson(res, 200, await hub.list(number('after') ?? 0, number('limit')));
    case 'entry': {
      const { meta, body } = await hub.read(r.seq);
      return sendFramed(res, meta, body, opts.log);
    }
    case 'put entry': {
      const frame = await framedMeta(req, limitedBody(req, opts.maxEntryBytes + MAX_META_BYTES, `entry ${r.seq}`));
      const meta = clientMeta(() => wireEntryMeta(frame.meta, where));
      if (meta.seq !== r.seq) throw badRequest(`the URL names entry ${r.seq} but the metadata says ${meta.seq}`);
      if (meta.size > opts.maxEntryBytes) throw tooLarge(`entry ${r.seq}`, opts.maxEntryBytes);
      // Checked there (hub/check-append.ts), as for every transport; a large entry as it streams.
      if (streamed(meta.size)) await hub.appendStream(meta, frame.rest);
      else await hub.append(meta, await collect(frame.rest));
      return sendJson(res, 201, meta);
    }
    case 'log': {
      const limits = { limit: Math.min(number('limit') ?? MAX_BATCH_ENTRIES, MAX_BATCH_ENTRIES), maxBytes: Math.min(number('maxBytes') ?? BATCH_BYTES, MAX_BATCH_BYTES) };
      return sendBatch(res, await hub.readBatch(number('after') ?? 0, limits));
    }
    case 'put log': {
      const batch = await batchBody(opts, req, where);
      await hub.appendBatch(batch); // every entry checked there (hub/check-append.ts)
      return sendJson(res, 201, { head: batch.at(-1)!.meta.seq });
    }
    case 'latest-snapshot':
      return sendJson(res, 200, await hub.latestSnapshot(number('atMost')));
    case 'snapshot': {
      const { meta, body } = await hub.readSnapshot(r.seq);
      return sendFramed(res, meta, body, opts.log);
    }
    case 'put snapshot': {
      const frame = await framedMeta(req, limitedBody(req, opts.maxSnapshotBytes + MAX_META_BYTES, `snapshot ${r.seq}`));
      const meta = clientMeta(() => wireSnapshotMeta(frame.meta, where));
      if (meta.seq !== r.seq) throw badRequest(`the URL names snapshot ${r.seq} but the metadata says ${meta.seq}`);
      if (meta.size > opts.maxSnapshotBytes) throw tooLarge(`snapshot ${r.seq}`, opts.maxSnapshotBytes);
      await hub.writeSnapshot(meta, frame.rest); // checked as it streams (hub/check-snapshot.ts)
      return sendJson(res, 201, meta);
    }
  }
}

/** A batch upload, whole: at most MAX_BATCH_ENTRIES entries, each within --max-entry-mb, all within the larger of that and MAX_BATCH_BYTES. */
async function batchBody(opts: HubServerOptions, req: IncomingMessage, where: string): Promise<EntryWithBytes[]> {
  const limit = Math.max(opts.maxEntryBytes, MAX_BATCH_BYTES) + MAX_META_BYTES;
  const body = limitedBody(req, limit, 'the batch');
  const batch: EntryWithBytes[] = [];
  try {
    for await (const entry of readBatchFrames(body, where, { entryBytes: opts.maxEntryBytes, tooLarge: (seq) => tooLarge(`entry ${seq}`, opts.maxEntryBytes) })) {
      if (batch.length === MAX_BATCH_ENTRIES) throw badRequest(`a batch holds at most ${MAX_BATCH_ENTRIES} entries`);
      batch.push(entry);
    }
  } catch (err) {
    if (err instanceof BatchFormatError) throw badRequest(`the batch body does not parse: ${err.message}`);
    if (err instanceof SqlferryError && err.code === 'HUB_META_CORRUPT') throw new SqlferryError('HUB_BAD_REQUEST', err.message, { data: err.data });
    throw err;
  }
  if (batch.length === 0) throw badRequest('the batch holds no entries');
  return batch;
}
