// Managing the tokens a store keeps (`sqlferry token add|list|revoke`): a token is shown once,
// when made, and kept only as its sha256 (a token is 256 random bits, so a plain hash is as
// strong as a slow one). Checked per request by ./authorize.ts; a token's tables by ./table-limit.ts.
import { createHash, randomBytes } from 'node:crypto';
import { SqlferryError, EXIT } from '../errors/index.ts';
import { HUB_NAME } from '../hub/naming.ts';
import type { Store, TokenRecord } from '../hub/store.ts';
import { foldName } from './table-limit.ts';
import { durationMs } from '../shared/duration.ts';

export interface NewToken {
  hub?: string;
  access: 'read' | 'write';
  /** `30d`, `12h`, `90m` from now, or an ISO date/time. */
  expires?: string;
  /** The only tables it may write, comma-separated (a read-write token only). */
  tables?: string;
}

export const tokenDigest = (token: string): string => createHash('sha256').update(token).digest('hex');

function usage(message: string): SqlferryError {
  return new SqlferryError('USAGE', message, { exitCode: EXIT.usage });
}

export function expiryOf(text: string, now = Date.now()): string {
  const span = durationMs(text);
  const at = span !== undefined ? now + span : /^\d{4}-\d\d-\d\d/.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(at)) throw usage(`--expires must be a duration such as 30d, 12h, 90m or a date such as 2027-01-31, not ${JSON.stringify(text)}`);
  if (at <= now) throw usage(`--expires ${text} is already past`);
  return new Date(at).toISOString();
}

/** `a, b,c` as the list of tables it names, each once (as SQLite compares names). */
export function tablesOf(text: string): string[] {
  const names = text.split(',').map((n) => n.trim());
  if (names.some((n) => n === '')) throw usage(`--tables must name tables separated by commas, not ${JSON.stringify(text)}`);
  const seen = new Set<string>();
  return names.filter((n) => !seen.has(foldName(n)) && seen.add(foldName(n)));
}

export async function addToken(store: Store, want: NewToken): Promise<{ token: string; record: TokenRecord }> {
  if (want.hub !== undefined && !HUB_NAME.test(want.hub)) throw usage(`${JSON.stringify(want.hub)} is not a hub name (letters, digits, . _ -)`);
  if (want.tables !== undefined && want.access === 'read') throw usage('--tables limits what a token may write: a --read-only token writes nothing');
  const record: TokenRecord = {
    id: randomBytes(6).toString('hex'),
    hub: want.hub ?? null,
    access: want.access,
    tables: want.tables === undefined ? null : tablesOf(want.tables),
    expires: want.expires === undefined ? null : expiryOf(want.expires),
    created: new Date().toISOString(),
  };
  const token = `sqlferry_${randomBytes(32).toString('base64url')}`;
  await store.tokens.add(record, tokenDigest(token));
  return { token, record };
}

export async function revokeToken(store: Store, id: string): Promise<void> {
  if (!(await store.tokens.revoke(id))) {
    throw new SqlferryError('TOKEN_NOT_FOUND', `${store.url} has no token ${id}`, { data: { id }, hint: 'see the ids with `sqlferry token list --store …`' });
  }
}
