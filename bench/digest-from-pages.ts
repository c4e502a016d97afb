// A clone's digest of a large snapshot, read from its pages (src/repo/digest-pages.ts) against
// the SQL scan (src/repo/digest-scan.ts), in one process so both see the same machine: runs
// alternate, each timed by wall and by the process's CPU (user + system), medians shown, and the
// two results compared bit for bit. Given another checkout of sqlferry (e.g. main's, unpacked
// with `git archive`), its scanDigests is timed in the same runs instead of this checkout's.
// The database: any file, e.g. the snapshot bench/big-database.sh pushes (its table t).
// Run: npx node bench/digest-from-pages.ts DATABASE [runs] [other checkout]
import { statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { pathToFileURL } from 'node:url';
import { digestClaims, type TableDigests } from '../src/changeset/digest.ts';
import { digestsFromPages } from '../src/repo/digest-pages.ts';
import { scanDigests } from '../src/repo/digest-scan.ts';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: bench/digest-from-pages.ts DATABASE [runs] [other checkout]');
const runs = Number(process.argv[3] ?? 3);
const other = process.argv[4];
const sqlScan: typeof scanDigests = other === undefined ? scanDigests : (await import(pathToFileURL(join(other, 'src/repo/digest-scan.ts')).href)).scanDigests;

interface Times {
  wall: number[];
  cpu: number[];
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
function timed(into: Times, fn: () => TableDigests): TableDigests {
  const t = performance.now();
  const c = process.cpuUsage();
  const out = fn();
  const used = process.cpuUsage(c);
  into.wall.push((performance.now() - t) / 1000);
  into.cpu.push((used.user + used.system) / 1e6);
  return out;
}

const db = new DatabaseSync(path, { readOnly: true });
const rows = Number((db.prepare('SELECT count(*) AS n FROM t').get() as { n: unknown }).n);
const gb = statSync(path).size / 1e9;
const scan: Times = { wall: [], cpu: [] };
const pages: Times = { wall: [], cpu: [] };
let walked: string[] = [];
const load = loadavg();
for (let r = 0; r < runs; r++) {
  const bySql = timed(scan, () => sqlScan(db));
  const byPages = timed(pages, () => {
    const got = digestsFromPages(db, path);
    walked = got.walked;
    return got.digests;
  });
  if (JSON.stringify(digestClaims(bySql)) !== JSON.stringify(digestClaims(byPages))) throw new Error('the two digests differ');
}
db.close();

const shown = (t: Times) => `${median(t.wall).toFixed(2)} s wall, ${median(t.cpu).toFixed(2)} s CPU (${(median(t.cpu) / gb).toFixed(1)} s CPU per GB)`;
console.log(`${new Date().toISOString()} · ${cpus()[0]?.model ?? 'cpu'} ×${cpus().length} · load ${load.map((l) => l.toFixed(1)).join(' ')} → ${loadavg().map((l) => l.toFixed(1)).join(' ')} · medians of ${runs}`);
console.log(`${rows.toLocaleString('en')} rows, ${(gb * 1000).toFixed(1)} MB; tables read from pages: ${walked.join(', ') || 'none'}`);
console.log(`  SQL scan (${other ?? 'this checkout'})  ${shown(scan)}`);
console.log(`  from pages                   ${shown(pages)}  ${(median(pages.cpu) / median(scan.cpu)).toFixed(3)}× CPU, ${(median(pages.wall) / median(scan.wall)).toFixed(3)}× wall`);
