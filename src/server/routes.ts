// Which hub and which operation a request names: `/REPO/<what>[/<seq>]`, REPO one folder
// under the served root (never `..`, never hidden, so no request reaches outside the root).
import { SqlferryError } from '../errors/index.ts';
import { HUB_NAME } from '../hub/naming.ts';

export type Action = 'info' | 'head' | 'entries' | 'entry' | 'log' | 'latest-snapshot' | 'snapshot';

export interface Route {
  repo: string;
  action: Action;
  seq: number;
  write: boolean;
}

function notFound(path: string): SqlferryError {
  return new SqlferryError('HUB_ROUTE_NOT_FOUND', `${path} is not a sqlferry hub URL`, {
    hint: 'a hub URL is http(s)://HOST:PORT/REPO, where REPO is a hub folder under the server\'s --root',
  });
}

function parseSeq(raw: string | undefined, path: string): number {
  if (raw === undefined || !/^\d{1,15}$/.test(raw)) throw notFound(path);
  return Number(raw);
}

export function route(method: string, path: string): Route {
  let parts: string[];
  try {
    parts = path.split('/').slice(1).map((p) => decodeURIComponent(p));
  } catch {
    throw notFound(path); // malformed %-escape
  }
  const [repo, what, seq, ...more] = parts;
  if (!repo || !HUB_NAME.test(repo) || !what || more.length > 0) throw notFound(path);
  const write = method === 'PUT';
  if (!write && method !== 'GET') {
    throw new SqlferryError('HUB_METHOD_NOT_ALLOWED', `${method} is not a method the hub server answers`);
  }
  const action = ((): Action | undefined => {
    if (what === 'info' && seq === undefined) return 'info';
    if (what === 'head' && seq === undefined && !write) return 'head';
    if (what === 'log' && seq === undefined) return 'log';
    if (what === 'entries') return seq === undefined ? (write ? undefined : 'entries') : 'entry';
    if (what === 'snapshots' && seq === 'latest' && !write) return 'latest-snapshot';
    if (what === 'snapshots' && seq !== undefined && seq !== 'latest') return 'snapshot';
    return undefined;
  })();
  if (!action) throw notFound(path);
  return { repo, action, seq: action === 'entry' || action === 'snapshot' ? parseSeq(seq, path) : 0, write };
}
