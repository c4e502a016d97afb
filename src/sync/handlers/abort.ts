// `abort`: any conflict stops the pull; nothing is applied and every conflict is listed with
// its rows, so a human can decide (and pull again with another handler).
import type { NamedHandler } from './types.ts';

export const abortOnConflict: NamedHandler = {
  name: 'abort',
  handle: () => 'abort',
};
