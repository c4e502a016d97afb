// PostgreSQL URLs as libpq reads them, plus the hub's name as a last path segment:
//   postgres://[user@]host[:port]/DATABASE          a store of hubs (serve --store, token)
//   postgres://[user@]host[:port]/DATABASE/HUB      one hub (a remote, init --bare, hub migrate)
// Anything left out comes from PG* variables (PGHOST, PGPORT, PGUSER, PGDATABASE, PGSSLMODE…),
// query parameters (sslmode=…) pass through to the client. A password never: a URL is on the
// command line (`ps`, shell history) or in config.json, so one there is refused; PGPASSWORD or
// ~/.pgpass give it, as for psql.
import { SqlferryError, EXIT } from '../../errors/index.ts';
import { HUB_NAME } from '../../hub/naming.ts';

export interface PostgresAt {
  /** For the pg client: the URL without the hub segment. */
  connectionString: string;
  hub: string | undefined;
}

function invalid(url: string, why: string): SqlferryError {
  return new SqlferryError('REMOTE_URL_INVALID', `${url} is not a usable PostgreSQL URL: ${why}`, {
    data: { url },
    exitCode: EXIT.usage,
    hint: 'write postgres://[user@]host[:port]/DATABASE[/HUB][?sslmode=verify-full]; give the password in PGPASSWORD or ~/.pgpass',
  });
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

export function parsePostgresUrl(url: string, wants: 'hub' | 'store'): PostgresAt {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(url, 'it does not parse as a URL');
  }
  if (parsed.password !== '') throw invalid(url, 'it holds a password, which would show in `ps`, shell history and config files');
  const segments = parsed.pathname.split('/').slice(1).filter((s) => s !== '').map(decodeURIComponent);
  const [database, hub, ...more] = segments;
  if (more.length > 0) throw invalid(url, 'its path has more than DATABASE/HUB');
  if (wants === 'hub' && hub === undefined) throw invalid(url, 'it names no hub (the last path segment, after the database)');
  if (wants === 'store' && hub !== undefined) throw invalid(url, 'a store is a database: name no hub after it');
  if (hub !== undefined && !HUB_NAME.test(hub)) throw invalid(url, `${JSON.stringify(hub)} is not a hub name (letters, digits, . _ -)`);
  const auth = parsed.username === '' ? '' : `${parsed.username}@`;
  const path = database === undefined ? '' : `/${encodeURIComponent(database)}`;
  return { connectionString: `postgres://${auth}${parsed.host}${path}${parsed.search}`, hub };
}
