// Who may do what: a bearer token from the flat list (SQLFERRY_TOKEN, --token-file: every hub)
// or from the store (`sqlferry token add`: one hub or all, read-only or read-write, an optional
// expiry, an optional list of tables it may write), looked up at every request so a revocation
// holds from the next one, on every server. The answer is the store as the token may use it.
import type { IncomingMessage } from 'node:http';
import { SqlferryError } from '../errors/index.ts';
import type { Store } from '../hub/store.ts';
import { accessOf } from './tokens.ts';
import { tokenDigest } from './store-tokens.ts';
import type { Tokens } from './tokens.ts';
import type { TokenRecord } from '../hub/store.ts';
import { tableLimited } from './table-limit.ts';
import type { Route } from './routes.ts';

export interface AuthOptions {
  store: Store;
  tokens: Tokens;
  /** --no-auth: anyone who reaches the port may read and push. */
  noAuth?: boolean;
}

const refused = (code: string, message: string) => new SqlferryError(code, message);

/** The store as the request's token may use it (limited to its tables, if it has a list); throws when the token may not make the request. */
export async function authorize(opts: AuthOptions, req: IncomingMessage, r: Route): Promise<Store> {
  if (opts.noAuth) return opts.store;
  const header = req.headers.authorization;
  const flat = accessOf(opts.tokens, header);
  if (flat === 'missing') throw refused('HUB_TOKEN_MISSING', 'this hub server needs a token');
  const { access, tables } = flat === 'invalid' ? await storeAccess(opts.store, header!, r.repo) : { access: flat, tables: null };
  if (r.write && access !== 'write') throw refused('HUB_READ_ONLY', 'that token may read this hub server but not write to it');
  return tables === null ? opts.store : tableLimited(opts.store, tables);
}

async function storeAccess(store: Store, header: string, repo: string): Promise<Pick<TokenRecord, 'access' | 'tables'>> {
  const token = header.trim().split(/\s+/)[1]!;
  const record = await store.tokens.find(tokenDigest(token)).catch((err: unknown) => {
    // The store's address is not the client's business: say what it means for this request.
    if (!(err instanceof SqlferryError) || err.code !== 'HUB_STORE_UNAVAILABLE') throw err;
    throw new SqlferryError(err.code, 'this hub server cannot check tokens right now: its store is unavailable', { data: { retryAfter: err.data.retryAfter }, cause: err, hint: err.hint });
  });
  if (!record) throw refused('HUB_TOKEN_INVALID', 'this hub server does not accept that token');
  if (record.expires !== null && Date.parse(record.expires) <= Date.now()) {
    throw new SqlferryError('HUB_TOKEN_EXPIRED', `that token expired at ${record.expires}`, { hint: 'ask the server\'s operator for a new one (`sqlferry token add`)' });
  }
  if (record.hub !== null && record.hub !== repo) {
    throw new SqlferryError('HUB_TOKEN_NOT_FOR_HUB', `that token opens the hub /${record.hub}, not /${repo}`, { data: { url: `/${repo}` } });
  }
  return record;
}
