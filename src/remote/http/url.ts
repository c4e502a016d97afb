// A hub server's URL, checked without loading the HTTP client (`remote add` checks URLs of
// every scheme; a command loads only the transport it uses).
import { SqlferryError, EXIT } from '../../errors/index.ts';

export function checkedUrl(url: string): string {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.pathname.replace(/\/+$/, '') === '' || parsed.search || parsed.hash) {
    throw new SqlferryError('REMOTE_URL_INVALID', `${url} is not a valid hub server URL`, {
      data: { url },
      exitCode: EXIT.usage,
      hint: 'write http(s)://HOST[:PORT]/REPO, where REPO is the hub\'s folder under the server\'s --root',
    });
  }
  return url.replace(/\/+$/, '');
}
