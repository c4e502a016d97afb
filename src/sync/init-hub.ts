// `init --bare DIR`: an empty hub with a fresh id, storing changesets or patchsets.
import { randomUUID } from 'node:crypto';
import type { ChangesetKind } from '../changeset/types.ts';
import { SqlferryError, EXIT } from '../errors/index.ts';
import type { HubInfo } from '../hub/remote.ts';
import { createHub } from '../remote/registry.ts';

export async function initHub(url: string, kind: string = 'changeset'): Promise<HubInfo> {
  if (kind !== 'changeset' && kind !== 'patchset') {
    throw new SqlferryError('USAGE', `--format must be changeset or patchset, not ${JSON.stringify(kind)}`, { exitCode: EXIT.usage });
  }
  const info: HubInfo = { format: 'sqlferry-hub', version: 1, hubId: randomUUID(), kind: kind as ChangesetKind, created: new Date().toISOString() };
  const remote = await createHub(url, info);
  await remote.close();
  return info;
}
