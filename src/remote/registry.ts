// URL scheme → transport. A URL is a path, file://, ssh://, user@host:path or http(s)://.
// Each transport is loaded when a URL of its scheme is opened: a sync with a folder hub never
// loads ssh2 or pg, and a no-op sync's start-up is mostly module loading.
import { SqlferryError, EXIT } from '../errors/index.ts';
import type { HubInfo, Remote, RemoteFactory } from '../hub/remote.ts';
import type { Store } from '../hub/store.ts';
import { folderOf } from './file/folder-path.ts';
import { checkedUrl as checkedHttpUrl } from './http/url.ts';
import { parseSshUrl } from './ssh/url.ts';
import { isPostgresUrl, parsePostgresUrl } from './postgres/url.ts';

export type Scheme = 'file' | 'ssh' | 'http' | 'postgres';

const factories: Record<Scheme, () => Promise<RemoteFactory>> = {
  file: async () => (await import('./file/index.ts')).fileRemote,
  ssh: async () => (await import('./ssh/index.ts')).sshRemote,
  http: async () => (await import('./http/index.ts')).httpRemote,
  postgres: async () => (await import('./postgres/index.ts')).postgresRemote,
};

/** Which transport a URL names; throws one clear sentence for anything else. */
export function schemeOf(url: string): Scheme {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(url);
  if (m) {
    const scheme = m[1]!.toLowerCase();
    if (scheme === 'file') return 'file';
    if (scheme === 'ssh' || scheme === 'sftp') return 'ssh';
    if (scheme === 'http' || scheme === 'https') return 'http';
    if (scheme === 'postgres' || scheme === 'postgresql') return 'postgres';
    throw unsupported(url, `the scheme ${scheme}:// is not one sqlferry knows`);
  }
  // scp-like [user@]host:path, as git reads it: a colon before any slash (but not a drive letter)
  if (/^[^/\s@]+@[^/\s:]+:/.test(url) || /^[^/\s:]{2,}:/.test(url) && !url.startsWith('.')) return 'ssh';
  if (url.trim() === '') throw unsupported(url, 'the URL is empty');
  return 'file';
}

function unsupported(url: string, why: string): SqlferryError {
  return new SqlferryError('REMOTE_URL_UNSUPPORTED', `cannot use ${JSON.stringify(url)} as a remote: ${why}`, {
    data: { url },
    exitCode: EXIT.usage,
    hint: 'use a folder path, file:///path, ssh://user@host/path, user@host:path, https://host/REPO or postgres://host/DATABASE/HUB',
  });
}

function factoryFor(url: string): Promise<RemoteFactory> {
  return factories[schemeOf(url)]();
}

/**
 * Checks that `url` is one sqlferry can use, without connecting: what `remote add` stores
 * must not fail later on a typo. Each transport's own parser gives the sentence.
 */
export function checkRemoteUrl(url: string): void {
  const scheme = schemeOf(url);
  if (scheme === 'file') folderOf(url);
  else if (scheme === 'ssh') parseSshUrl(url);
  else if (scheme === 'postgres') parsePostgresUrl(url, 'hub');
  else checkedHttpUrl(url);
}

export async function openRemote(url: string): Promise<Remote> {
  return (await factoryFor(url)).open(url);
}

export async function createHub(url: string, info: HubInfo): Promise<Remote> {
  return (await factoryFor(url)).create(url, info);
}

/** A store of hubs, for `serve` and `token`: a folder whose subfolders are hubs, or a PostgreSQL database. */
export async function openStore(where: string): Promise<Store> {
  if (isPostgresUrl(where)) return new (await import('./postgres/index.ts')).PgStore(where);
  return (await import('./file/store.ts')).openFolderRoot(folderOf(where));
}
