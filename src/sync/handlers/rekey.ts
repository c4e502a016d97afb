// `rekey`: a local INSERT whose INTEGER PRIMARY KEY the hub already used is the same kind of
// row but a different entity: it gets a fresh key that no row, local change or earlier rekey
// uses (rebase/fresh-key.ts), and local rows whose foreign keys pointed at the old key follow
// it. Nothing is lost, so the conflict is recorded with nothing discarded. Should the row
// collide on a UNIQUE value at its new key, the table's unique rule decides that next.
// Other conflicts: the hub's version stays.
import type { ConflictContext, NamedHandler, Resolution } from './types.ts';

export const rekey: NamedHandler = {
  name: 'rekey',
  handle(ctx: ConflictContext): Resolution {
    if (ctx.kind === 'primary-key' && ctx.local.op === 'INSERT') return { newKey: 'auto' };
    return 'take-remote';
  },
};
