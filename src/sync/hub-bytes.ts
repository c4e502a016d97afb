// Local commits stay changesets (they must be invertible for a rebase); a patchset hub stores
// the smaller patchset, which every replica applies to the very state it was made on.
import { changesetToPatchset, detectKind } from '../changeset/index.ts';
import type { ChangesetKind } from '../changeset/types.ts';

export function hubBytes(local: Uint8Array, hubKind: ChangesetKind): Uint8Array {
  return hubKind === 'patchset' && local.length > 0 && detectKind(local) === 'changeset' ? changesetToPatchset(local) : local;
}
