// `local`: this replica's change wins every conflict; the hub's version it overwrites is saved.
import type { NamedHandler } from './types.ts';

export const localWins: NamedHandler = {
  name: 'local',
  handle: () => 'keep-local',
};
