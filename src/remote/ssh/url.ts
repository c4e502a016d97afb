// Where an SSH hub is: ssh://[user@]host[:port]/abs/path (or /~/rel for a home-relative path,
// as git allows) and scp-like [user@]host:path, relative to the login's home unless absolute.
// The user and port stay unset when the URL does not name them: ~/.ssh/config may (config-file.ts).
import { SqlferryError, EXIT } from '../../errors/index.ts';

export interface SshLocation {
  /** As written: a Host alias of ~/.ssh/config, or the real name. */
  host: string;
  port: number | undefined;
  user: string | undefined;
  /** The hub folder as the SFTP server resolves it: absolute, or relative to the login's home. */
  path: string;
}

function invalid(url: string, why: string): SqlferryError {
  return new SqlferryError('REMOTE_URL_INVALID', `${url} is not a valid SSH remote URL: ${why}`, {
    data: { url },
    exitCode: EXIT.usage,
    hint: 'write ssh://user@host[:port]/absolute/path or user@host:path/relative/to/home',
  });
}

function homeRelative(path: string): string {
  if (path === '~' || path === '~/') return '.';
  return path.startsWith('~/') ? path.slice(2) : path;
}

export function parseSshUrl(url: string): SshLocation {
  if (/^(ssh|sftp):\/\//i.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw invalid(url, 'it does not parse as a URL');
    }
    const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
    if (!host) throw invalid(url, 'the host is missing');
    const raw = decodeURIComponent(parsed.pathname);
    if (raw === '' || raw === '/') throw invalid(url, 'the path of the hub folder is missing');
    const path = raw.startsWith('/~') ? homeRelative(raw.slice(1)) : raw;
    const user = parsed.username ? decodeURIComponent(parsed.username) : undefined;
    return { host, port: parsed.port ? Number(parsed.port) : undefined, user, path };
  }
  const m = /^(?:([^@/\s]+)@)?(\[[^\]]+\]|[^:/\s]+):(.*)$/.exec(url);
  if (!m) throw invalid(url, 'expected ssh://host/path or host:path');
  const path = homeRelative(m[3]!);
  if (path === '') throw invalid(url, 'the path of the hub folder is missing');
  return { host: m[2]!.replace(/^\[(.*)\]$/, '$1'), port: undefined, user: m[1], path };
}

/** The name known_hosts files use for a host: `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}
