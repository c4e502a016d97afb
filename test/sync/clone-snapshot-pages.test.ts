// A clone reads the content digest of the hub's snapshot from its pages (src/repo/digest-pages.ts);
// the snapshot comes from a hub and may be crafted. Planted at the head with its checksum made to
// match, a snapshot whose b-tree reaches a page twice, whose overflow chain loops or whose leaf
// is overwritten is refused with the clear error of today and exit 6, nothing cloned. A sound one
// clones, and verify passes.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/hub/checksum.ts';
import { metaName } from '../../src/hub/folder/layout.ts';
import { cli } from '../repo/helpers.ts';
import { commitAll, firstReplica, newHub, pushTo, rows, sql, tempDir } from './helpers.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const PAGE = 512;

/** A hub at entry 1 (1,500 rows in pages of 512 bytes, some on overflow chains), and a faithful snapshot of it. */
async function hubAtOne(): Promise<{ dir: string; hub: string; db: string; snapshot: Buffer }> {
  const dir = tempDir('sqlferry-clone-pages-');
  dirs.push(dir);
  const hub = await newHub(dir);
  const a = await firstReplica(dir, hub, `PRAGMA page_size = ${PAGE}; CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, w REAL)`);
  sql(a.paths.db, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500)
    INSERT INTO t SELECT i, CASE WHEN i % 50 = 0 THEN printf('%.*c', 1200 + i, 'x') ELSE 'row ' || i END, i / 4.0 FROM n`);
  commitAll(a);
  await pushTo(a, hub);
  const snapshot = join(dir, 'snapshot.db');
  sql(a.paths.db, `VACUUM INTO '${snapshot}'`);
  sql(snapshot, 'CREATE TABLE sqlferry_base(seq INTEGER); INSERT INTO sqlferry_base VALUES (1)');
  return { dir, hub, db: a.paths.db, snapshot: readFileSync(snapshot) };
}

/** `bytes` as the hub's snapshot at entry 1, as anyone with write access to the folder could put it. */
function plantSnapshot(hub: string, bytes: Buffer): void {
  const file = `${metaName(1).slice(0, -5)}.planted.db`;
  writeFileSync(join(hub, 'snapshots', file), bytes);
  writeFileSync(join(hub, 'snapshots', metaName(1)), JSON.stringify({ seq: 1, sha256: sha256(bytes), size: bytes.length, replica: 'x', time: '', file }));
}

/** Pages (1-based) of `file` that are interior table pages with two cells or more, or overflow pages of the 'x' values. */
function pagesOf(file: Buffer, kind: 'interior' | 'leaf' | 'overflow'): number[] {
  const out: number[] = [];
  for (let p = 2; p <= file.length / PAGE; p++) {
    const page = file.subarray((p - 1) * PAGE, p * PAGE);
    if (kind === 'overflow' ? page.subarray(4, 36).every((b) => b === 0x78) : page[0] === (kind === 'interior' ? 0x05 : 0x0d) && page.readUInt16BE(3) >= 2) out.push(p);
  }
  return out;
}

const damages: Record<string, (file: Buffer) => void> = {
  'an interior page with a child pointer duplicated': (file) => {
    const at = (pagesOf(file, 'interior')[0]! - 1) * PAGE;
    const cell = (i: number): number => at + file.readUInt16BE(at + 12 + 2 * i);
    file.writeUInt32BE(file.readUInt32BE(cell(0)), cell(1));
  },
  'an overflow chain that loops': (file) => {
    const p = pagesOf(file, 'overflow')[0]!;
    file.writeUInt32BE(p, (p - 1) * PAGE);
  },
  'a leaf overwritten': (file) => {
    const leaves = pagesOf(file, 'leaf');
    file.fill(0xff, (leaves[leaves.length >> 1]! - 1) * PAGE + 200, (leaves[leaves.length >> 1]! - 1) * PAGE + 232);
  },
};

describe("a clone of the hub's snapshot, its digest read from the pages", () => {
  it('clones a sound snapshot whole, and verify passes', async () => {
    const { dir, hub, db, snapshot } = await hubAtOne();
    expect(pagesOf(snapshot, 'interior').length).toBeGreaterThan(1);
    plantSnapshot(hub, snapshot);
    const target = join(dir, 'clone.db');
    const r = cli(dir, 'clone', hub, target);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(rows(target, 't')).toEqual(rows(db, 't'));
    expect(cli(dir, 'verify', '--db', target).status).toBe(0);
  });

  for (const [what, damage] of Object.entries(damages)) {
    it(`refuses a snapshot with ${what} (exit 6, nothing cloned), never taking rows SQLite would not read`, async () => {
      const { dir, hub, snapshot } = await hubAtOne();
      damage(snapshot);
      plantSnapshot(hub, snapshot);
      const target = join(dir, 'clone.db');
      const r = cli(dir, 'clone', hub, target);
      expect(r.stderr).toMatch(/^error: the hub's snapshot at 1 (does not hold what its log says \(table "t"\)|.*(malformed|corrupt))/);
      expect(r.status).toBe(6);
      expect(existsSync(target)).toBe(false);
      expect(existsSync(`${target}.sqlferry`)).toBe(false);
    }, 60_000);
  }
});
