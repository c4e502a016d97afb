// Local commits stay changesets (they must be invertible for a rebase); a patchset hub stores
// the smaller patchset, which every replica applies to the very state it was made on. A large
// commit (src/shared/pieces.ts) is converted from its log file a piece at a time
// (src/repo/log/entry-patchset.ts), into the same bytes as the whole conversion: the hub's
// checksum of a commit does not depend on its size.
import { changesetToPatchset, detectKind } from '../changeset/index.ts';
import type { ChangesetKind } from '../changeset/types.ts';

export function hubBytes(local: Uint8Array, hubKind: ChangesetKind): Uint8Array {
  return hubKind === 'patchset' && local.length > 0 && detectKind(local) === 'changeset' ? changesetToPatchset(local) : local;
}
