// The last number present in a run without gaps (numbered files: a hub's log, a replica's),
// found by probing rather than listing a folder that grows for ever. From a number known to be
// present (or the run's floor), the step doubles until a number is missing, then the gap
// between the last present and the first missing is halved: about 2·log2 n probes for n
// numbers past the start, one when the start is the last.
// A generator of the numbers to probe, so that one search serves sync (local files) and async
// (a hub over the network) callers: send back whether each number is present.
export function* lastPresent(start: number): Generator<number, number, boolean> {
  let present = start;
  let step = 1;
  while (yield present + step) {
    present += step;
    step *= 2;
  }
  let missing = present + step;
  while (missing - present > 1) {
    const mid = Math.floor((present + missing) / 2);
    if (yield mid) present = mid;
    else missing = mid;
  }
  return present;
}

export function lastPresentSync(start: number, exists: (n: number) => boolean): number {
  const search = lastPresent(start);
  let probe = search.next();
  while (!probe.done) probe = search.next(exists(probe.value));
  return probe.value;
}

export async function lastPresentAsync(start: number, exists: (n: number) => Promise<boolean>): Promise<number> {
  const search = lastPresent(start);
  let probe = search.next();
  while (!probe.done) probe = search.next(await exists(probe.value));
  return probe.value;
}
