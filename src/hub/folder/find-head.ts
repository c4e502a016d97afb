// The hub's head found by names, never by listing the log folder. A hub gains an entry per
// push for ever: listing the log folder of a hub with 100,000 entries (200,000 names) took
// about 230 ms on local disk, at each head and list, and over SFTP a listing is many round
// trips (bench/growing-logs.ts; by name: 0.6 ms). Entries are numbered 1..head without gaps and
// never removed, so entry n's metadata file exists exactly when n ≤ head. Writers leave the
// number they published in log/head; a reader starts from it, checks it, and searches forward
// past entries others appended since (shared/last-present.ts). The hint is advice: stale,
// torn, garbage or missing (a hub from an older sqlferry) only costs a few more probes. A store
// that has already seen entry k (it published or read it) starts from k instead: k and k + 1 are
// probed together, one round trip when nothing was appended since, and the hint is not read.
import { seqName, SEQ_WIDTH } from '../naming.ts';
import { lastPresentAsync } from '../../shared/last-present.ts';

/** In the log folder; not a metadata name (layout.ts), so nothing else ever reads it as one. */
export const HEAD_HINT = 'head';

export interface LogProbe {
  /** Whether entry `seq`'s metadata file exists. */
  exists(seq: number): Promise<boolean>;
  /** log/head's text, undefined when there is none. */
  readHint(): Promise<string | undefined>;
  /** An entry number seen present before (0: none). Should it be gone (a hub restored from a backup), the hint is read as if unknown. */
  known?: number;
}

export async function findHead(probe: LogProbe): Promise<number> {
  const known = probe.known ?? 0;
  if (known > 0) {
    const [still, next] = await Promise.all([probe.exists(known), probe.exists(known + 1)]);
    if (still) return next ? lastPresentAsync(known + 1, probe.exists) : known;
  }
  const hint = await probe.readHint();
  let start = hint !== undefined && new RegExp(`^\\d{${SEQ_WIDTH}}$`).test(hint) ? Number(hint) : 0;
  if (start > 0 && !(await probe.exists(start))) start = 0;
  return lastPresentAsync(start, probe.exists);
}

/** log/head's text for entry `seq`: fixed width, so writers racing to rewrite it never leave a longer number. */
export function headHint(seq: number): string {
  return seqName(seq);
}
