// Named remotes in config.json (`remotes: { name: url }`), like git's. Folder paths are stored
// absolute, so the replica works from any current directory.
import { SqlferryError, EXIT } from '../errors/index.ts';
import { readConfig, writeConfig } from '../repo/config.ts';
import type { Replica } from '../repo/replica.ts';
import { folderOf } from '../remote/file/folder-path.ts';
import { checkRemoteUrl, schemeOf } from '../remote/registry.ts';

export type Remotes = Record<string, string>;

export function listRemotes(replica: Replica): Remotes {
  return { ...readConfig(replica.paths.config).remotes };
}

function save(replica: Replica, remotes: Remotes): void {
  writeConfig(replica.paths.config, { ...readConfig(replica.paths.config), remotes });
}

export function addRemote(replica: Replica, name: string, url: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new SqlferryError('REMOTE_NAME_INVALID', `${JSON.stringify(name)} is not a valid remote name (letters, digits, . _ -)`, { exitCode: EXIT.usage });
  }
  const remotes = listRemotes(replica);
  if (remotes[name] !== undefined) {
    throw new SqlferryError('REMOTE_EXISTS', `there is already a remote named ${name} (${remotes[name]})`, { exitCode: EXIT.usage, hint: `sqlferry remote remove ${name} first` });
  }
  checkRemoteUrl(url);
  const stored = storedRemoteUrl(url);
  save(replica, { ...remotes, [name]: stored });
  return stored;
}

/** How a URL is kept in config.json: a folder path made absolute, so it works from any folder. */
export function storedRemoteUrl(url: string): string {
  return schemeOf(url) === 'file' && !url.startsWith('file:') ? folderOf(url) : url;
}

/**
 * Point a remote at another URL: the hub moved (a copy of it, same hub id, elsewhere), or a
 * new empty hub to push to. Returns the URL as stored.
 */
export function setRemoteUrl(replica: Replica, name: string, url: string): string {
  const remotes = listRemotes(replica);
  if (remotes[name] === undefined) throw noSuchRemote(name, remotes);
  checkRemoteUrl(url);
  const stored = storedRemoteUrl(url);
  save(replica, { ...remotes, [name]: stored });
  return stored;
}

export function removeRemote(replica: Replica, name: string): void {
  const remotes = listRemotes(replica);
  if (remotes[name] === undefined) throw noSuchRemote(name, remotes);
  delete remotes[name];
  save(replica, remotes);
}

/** The URL for `name`, or for the only remote (or `origin`) when no name is given. */
export function remoteUrl(replica: Replica, name: string | undefined): { name: string; url: string } {
  const remotes = listRemotes(replica);
  const names = Object.keys(remotes);
  const chosen = name ?? (names.length === 1 ? names[0]! : 'origin');
  const url = remotes[chosen];
  if (url === undefined) throw noSuchRemote(chosen, remotes);
  return { name: chosen, url };
}

function noSuchRemote(name: string, remotes: Remotes): SqlferryError {
  const names = Object.keys(remotes);
  return new SqlferryError('REMOTE_NOT_FOUND', names.length ? `there is no remote named ${name} (remotes: ${names.join(', ')})` : 'this replica has no remotes', {
    exitCode: EXIT.usage,
    hint: 'sqlferry remote add origin /path/to/hub',
  });
}
