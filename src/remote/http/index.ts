// The HTTP transport: `http(s)://HOST[:PORT]/REPO`, a hub served by `sqlferry serve`.
import type { HubInfo, Remote, RemoteFactory } from '../../hub/remote.ts';
import { HubHttpClient } from './client.ts';
import { HttpRemote } from './remote.ts';
import { checkedUrl } from './url.ts';

export { checkedUrl };

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
