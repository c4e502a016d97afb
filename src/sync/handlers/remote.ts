// `remote`: the hub's row wins every conflict; this replica's version is saved in the conflict
// store. Also the default: the hub's order decides, which is what a cron job can live with.
import type { NamedHandler } from './types.ts';

export const remoteWins: NamedHandler = {
  name: 'remote',
  handle: () => 'take-remote',
};
