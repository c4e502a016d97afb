// `sqlferry hub prune URL`: what killed pushes left in a hub's storage, removed (src/hub/folder/prune.ts).
import { SqlferryError } from '../errors/index.ts';
import type { PruneReport } from '../hub/folder/prune.ts';
import { openRemote } from '../remote/registry.ts';

export { MIN_OLDER_THAN_MS } from '../hub/folder/prune.ts';

export interface PruneHubResult extends PruneReport {
  /** False where the store leaves nothing behind (PostgreSQL): nothing was looked for. */
  applies: boolean;
}

export async function pruneHub(url: string, opts: { olderThanMs: number; dryRun: boolean }): Promise<PruneHubResult> {
  const hub = await openRemote(url);
  try {
    if (hub.prune === undefined) {
      throw new SqlferryError('HUB_PRUNE_REMOTE', `${url} is served over HTTP: prune it where its store is, on the server`, {
        data: { url },
        hint: 'run sqlferry hub prune on the server, with the folder of that hub (serve --store DIR: DIR/NAME)',
      });
    }
    await hub.info(); // no hub at the URL: HUB_NOT_FOUND, before anything is listed
    const report = await hub.prune(opts);
    return report === null ? { applies: false, removed: [], bytes: 0, recent: 0 } : { applies: true, ...report };
  } finally {
    await hub.close();
  }
}
