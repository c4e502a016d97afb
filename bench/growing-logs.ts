// What a sync pays to find where a log ends, as logs grow by two files per entry for ever: a
// folder hub's head and its new entries (hub/folder/find-head.ts), and a replica's own log end
// (repo/log/log-end.ts), found by probing names, against listing the log folder (what sqlferry did
// before, and the obvious way). Each log holds `entries` entries written directly in its layout
// (what as many pushes or pulls leave, without their fsyncs, so the setup is quick).
// Run: npx node bench/growing-logs.ts [entries] [runs]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HEAD_HINT, headHint } from '../src/hub/folder/find-head.ts';
import { committedSeq, metaName } from '../src/hub/folder/layout.ts';
import { parseEntryMeta } from '../src/hub/meta.ts';
import { fileRemote } from '../src/remote/file/index.ts';
import { initHub } from '../src/sync/init-hub.ts';
import { listSeqs } from '../src/repo/log/log.ts';
import { logEnd } from '../src/repo/log/log-end.ts';
import { entryPaths, sidecarPaths } from '../src/repo/sidecar.ts';
import { writeState } from '../src/repo/config.ts';

const entries = Number(process.argv[2] ?? 100_000);
const runs = Number(process.argv[3] ?? 9);
const dir = mkdtempSync(join(tmpdir(), 'sqlferry-bench-growing-logs-'));
const hub = join(dir, 'hub');
await initHub(hub);
const log = join(hub, 'log');
mkdirSync(log, { recursive: true });
const hash = 'a'.repeat(64);
let t = performance.now();
for (let seq = 1; seq <= entries; seq++) {
  const file = `${metaName(seq).slice(0, -5)}.0123456789ab.changeset`;
  writeFileSync(join(log, file), 'x');
  writeFileSync(join(log, metaName(seq)), JSON.stringify({ seq, parent: hash, replica: 'r', time: new Date(0).toISOString(), message: '', schema: [], kind: 'changeset', sha256: hash, size: 1, file }));
}
console.log(`hub: ${entries.toLocaleString('en')} entries (${(2 * entries).toLocaleString('en')} files in log/), written in ${((performance.now() - t) / 1000).toFixed(0)} s`);

// A replica that pulled them all: its sidecar's log, and state.json at the hub's head.
const replica = sidecarPaths(join(dir, 'replica.db'));
mkdirSync(replica.log, { recursive: true });
t = performance.now();
for (let seq = 1; seq <= entries; seq++) {
  const { bytes, meta } = entryPaths(replica, seq);
  writeFileSync(bytes, 'x');
  writeFileSync(meta, '{}');
}
writeState(replica.state, { hubId: 'h', hubSeq: entries });
console.log(`replica: ${entries.toLocaleString('en')} entries in its log, written in ${((performance.now() - t) / 1000).toFixed(0)} s`);

/** The folder listed, as before: every name read and parsed, on each call. */
const committedSeqs = (names: string[]): number[] => names.map(committedSeq).filter((s) => s !== undefined).sort((a, b) => a - b);
async function headByListing(): Promise<number> {
  const seqs = committedSeqs(await readdir(log));
  return seqs.at(-1) ?? 0;
}
async function listByListing(after: number): Promise<number> {
  const seqs = committedSeqs(await readdir(log)).filter((s) => s > after);
  return (await Promise.all(seqs.map(async (s) => parseEntryMeta(await readFile(join(log, metaName(s)), 'utf8'), s.toString())))).length;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const cases: Record<string, number[]> = {};
const record = (name: string, ms: number) => (cases[name] ??= []).push(ms);
writeFileSync(join(log, HEAD_HINT), headHint(entries));
for (let i = 0; i < runs; i++) {
  // A pull with nothing new asks only for the head; one with 10 new entries also lists them.
  record('listing the folder: head', await time(headByListing));
  record('listing the folder: head + 10 new entries', await time(async () => (await headByListing(), await listByListing(entries - 10))));
  const remote = await fileRemote.open(hub);
  record('by name, with the hint: head', await time(() => remote.head()));
  record('by name, with the hint: head + 10 new entries', await time(async () => (await remote.head(), await remote.list(entries - 10))));
}
rmSync(join(log, HEAD_HINT)); // a hub written by an older sqlferry
for (let i = 0; i < runs; i++) record('by name, no hint: head', await time(async () => (await fileRemote.open(hub)).head()));
// A replica's log end, asked several times per sync: listing its log folder, or probing names.
for (let i = 0; i < runs; i++) {
  record('replica log end, listing the folder', await time(async () => listSeqs(replica).at(-1)));
  record('replica log end, by name', await time(async () => logEnd(replica)));
}

console.log(`${runs} runs each, medians:`);
for (const [name, ms] of Object.entries(cases)) console.log(`  ${name.padEnd(48)} ${median(ms).toFixed(2)} ms`);
rmSync(dir, { recursive: true, force: true });
