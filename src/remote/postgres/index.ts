// PostgreSQL as a hub store: `postgres://host/DATABASE/HUB` as a remote (replicas, init --bare,
// hub migrate) and `postgres://host/DATABASE` as a store of hubs for `serve --store` and `token`.
// The hub's rules sit above it (src/hub/stored-hub.ts) as for every store.
import type { HubInfo, Remote, RemoteFactory } from '../../hub/remote.ts';
import type { HubStore, Store } from '../../hub/store.ts';
import { StoredHub } from '../../hub/stored-hub.ts';
import { PgDatabase } from './database.ts';
import { PgHubStore } from './hub-store.ts';
import { PgTokens } from './tokens.ts';
import { parsePostgresUrl } from './url.ts';

export class PgStore implements Store {
  readonly url: string;
  readonly tokens: PgTokens;
  private readonly db: PgDatabase;

  constructor(url: string) {
    this.url = url;
    this.db = new PgDatabase(parsePostgresUrl(url, 'store').connectionString);
    this.tokens = new PgTokens(this.db, url);
  }

  hub(name: string): HubStore {
    return new PgHubStore(`/${name}`, this.db, name, false);
  }

  async createHub(name: string, info: HubInfo): Promise<HubStore> {
    const hub = new PgHubStore(`/${name}`, this.db, name, false);
    await hub.create(info);
    return hub;
  }

  close(): Promise<void> {
    return this.db.end();
  }
}

/** The hub a `postgres://host/DATABASE/HUB` URL names, with a connection pool of its own. */
export function postgresHubStore(url: string): PgHubStore {
  const at = parsePostgresUrl(url, 'hub');
  return new PgHubStore(url, new PgDatabase(at.connectionString), at.hub!, true);
}

export const postgresRemote: RemoteFactory = {
  async open(url: string): Promise<Remote> {
    return new StoredHub(postgresHubStore(url));
  },

  async create(url: string, info: HubInfo): Promise<Remote> {
    const store = postgresHubStore(url);
    try {
      await store.create(info);
    } catch (err) {
      await store.close();
      throw err;
    }
    return new StoredHub(store);
  },
};
