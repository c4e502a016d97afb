// The HTTP transport: `http(s)://HOST[:PORT]/REPO`, a hub served by `sqlferry serve`.
import type { HubInfo, Remote, RemoteFactory } from '../../hub/remote.ts';
import { SqlferryError, EXIT } from '../../errors/index.ts';
import { HubHttpClient } from './client.ts';
import { HttpRemote } from './remote.ts';

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

export const httpRemote: RemoteFactory = {
  async open(url: string): Promise<Remote> {
    return new HttpRemote(checkedUrl(url));
  },

  async create(url: string, info: HubInfo): Promise<Remote> {
    const base = checkedUrl(url);
    const http = new HubHttpClient(base);
    const body = Buffer.from(JSON.stringify(info));
    const res = await http.request('creating the hub', 'info', { method: 'PUT', body, headers: { 'content-type': 'application/json' } });
    await http.json('creating the hub', res);
    return new HttpRemote(base);
  },
};
