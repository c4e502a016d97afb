// `rekey`: a local INSERT whose INTEGER PRIMARY KEY the hub already used is the same kind of
// row but a different entity: it gets a fresh key (one past the largest), and local rows in
// other tables whose foreign keys pointed at the old key follow it. Nothing is lost, so the
// conflict is recorded with nothing discarded. Other conflicts: the hub's version stays.
import type { ConflictContext, NamedHandler, Resolution } from './types.ts';

export const rekey: NamedHandler = {
  name: 'rekey',
  handle(ctx: ConflictContext): Resolution {
    if (ctx.kind === 'primary-key' && ctx.local.op === 'INSERT') return { newKey: 'auto' };
    return 'take-remote';
  },
};
