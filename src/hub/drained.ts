// Waiting for a writable stream to take more, without leaving listeners behind: a wait per
// chunk with `events.once` leaves the losing side's listeners (and an 'error' one) on the
// stream, and a large body piles them up past Node's warning limit.
import type { EventEmitter } from 'node:events';

/** Resolves once `stream` emits 'drain' or 'close', whichever comes first (at once when it is already destroyed); both listeners go with it. */
export function drainedOrClosed(stream: EventEmitter & { destroyed?: boolean }): Promise<void> {
  if (stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}
