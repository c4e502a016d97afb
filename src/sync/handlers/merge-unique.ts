// `merge-unique`: a local INSERT that collides on a UNIQUE key with a row the hub holds under
// another primary key is the same entity (same email, same SKU): the two become the hub's row,
// local rows that referenced the local key follow to the hub's key, and the local version is
// saved in the conflict store. Other conflicts: the hub's version stays.
import type { ConflictContext, NamedHandler, Resolution } from './types.ts';

export const mergeUnique: NamedHandler = {
  name: 'merge-unique',
  handle(ctx: ConflictContext): Resolution {
    if (ctx.kind === 'unique' && ctx.local.op === 'INSERT' && ctx.conflicting) return { sameAs: 'conflicting' };
    return 'take-remote';
  },
};
