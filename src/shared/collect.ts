// V8 frees buffers that are garbage only when their total has grown by about 64 MB since its
// last collection: a command streaming a large change (pieces of a capture, chunks of a push,
// a pull or a clone) would hold that much for nothing beside the pieces in hand. A CLI command,
// a process of its own, collects after every few MiB that pass instead (cli/program.ts turns it
// on). Off otherwise: a library forces no collection on the process that embeds it, and
// `serve` neither, where a full collection would pause every request in flight for bytes it
// frees anyway within those 64 MB.
// Bytes let go as soon as they were made (a commit's pieces, each written out once made) are
// still in V8's young generation: for them three collections in four are minor ones (~3 ms
// against 15–30 ms for a full one: a bulk load's commit spent most of a second in 60 full
// ones). A buffer kept across two minor collections has moved to the old generation, which
// only a full one frees, so at most 16 MiB of such wait for the next. Streams (push, pull,
// clone) keep chunks longer: theirs are full collections.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const COLLECT_EVERY = 4 * 2 ** 20;
const FULL_EVERY = 4;
let on = false;
let since = 0;
let collections = 0;
let gc: Collector | undefined;

export function collectAsBytesPass(): void {
  on = true;
}

/** `bytes` were let go (written out, sent, applied): collect once enough have passed. `young`: made just before. */
export function passed(bytes: number, young = false): void {
  if (!on) return;
  since += bytes;
  if (since < COLLECT_EVERY) return;
  since = 0;
  collections += 1;
  collector()({ type: young && collections % FULL_EVERY !== 0 ? 'minor' : 'major' });
}

/**
 * Between two phases of a command (a pull's fetch done, its transaction to come): everything
 * garbage is freed and V8's young generation shrunk back to its smallest. A phase that made many
 * small objects (ssh2 makes several per packet) leaves that generation grown, and a full
 * collection keeps its size: the next phase would start that much higher (a pull over SSH of
 * 300,000 rows: V8's heap 24 MB before, 12 MB after).
 */
export function settle(): void {
  if (!on) return;
  since = 0;
  collector()({ type: 'major', flavor: 'last-resort' });
}

type Collector = (options?: { type: 'minor' | 'major'; flavor?: 'regular' | 'last-resort' }) => void;

function collector(): Collector {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc'); // the way jest exposes the collector
    gc = runInNewContext('gc') as Collector;
  }
  return gc;
}
