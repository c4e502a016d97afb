// pages.bin: read back as written, and refused — never half trusted — when damaged, from another
// version of sqlferry, or from another commit; read a piece at a time, and written over in place
// as a new file of the same map would be.
import { describe, it, expect } from 'vitest';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { layoutOf, nextPageMap, type PageMap } from '../../src/repo/pages/page-map.ts';
import { forgetPageMap, loadPageMap, savePageMap } from '../../src/repo/pages/page-map-file.ts';
import { PAGE_HASH_BYTES } from '../../src/repo/pages/page-hash/page-hash.ts';
import { PatchedValues, Patches } from '../../src/repo/pages/page-values.ts';
import { PageMapChangedError, StoredValues } from '../../src/repo/pages/stored-values.ts';
import { readPageImages } from '../../src/repo/pages/page-read.ts';
import { sidecarPaths, type SidecarPaths } from '../../src/repo/sidecar.ts';
import { tempDir } from './helpers.ts';
import { bytesOf, DenseValues, denseOf, structureOf } from './page-values-dense.ts';

describe('the page map file', () => {
  it('reads back what was saved, and refuses a damaged one, another version’s, another commit’s', () => {
    const path = join(tempDir(), 'm.db');
    const db = new DatabaseSync(path);
    db.exec("PRAGMA page_size = 512; CREATE TABLE t(id INTEGER PRIMARY KEY, b); INSERT INTO t SELECT value, zeroblob(700) FROM json_each('[1,2,3,4,5,6,7]')");
    db.exec('BEGIN; SELECT count(*) FROM sqlite_schema');
    const images = readPageImages(path);
    if (typeof images === 'string') throw new Error(images);
    const map = nextPageMap(db, null, images, layoutOf(db), 'all');
    db.exec('COMMIT');
    db.close();
    const paths = sidecarPaths(path);
    mkdirSync(paths.dir);
    const { values, owners: _o, leafOf: _l, parents: _p, kinds: _k, ...rest } = map;
    const saved = { values: denseOf(values), ...structureOf(map) }; // a first map's values and structure are spent once saved (spilled-values.ts)
    savePageMap(paths, { ...map, mainFile: { ino: '1', size: '2', mtimeNs: '3', ctimeNs: '4' } }, '1 abc');
    const back = loadPageMap(paths, '1 abc');
    if (typeof back === 'string') throw new Error(back);
    const { owners: _bo, leafOf: _bl, parents: _bp, kinds: _bk, ...backRest } = back;
    expect({ ...backRest, values: denseOf(back.values), ...structureOf(back) }).toEqual({ ...rest, ...saved, mainFile: { ino: '1', size: '2', mtimeNs: '3', ctimeNs: '4' }, dbstatWalked: [] });
    expect(loadPageMap(paths, '2 def')).toBe('the page map is from another commit');
    const file = join(paths.dir, 'pages.bin');
    const bytes = readFileSync(file);
    for (const at of [30, bytes.length - 100, bytes.length - 1]) {
      const damaged = Buffer.from(bytes);
      damaged[at]! ^= 1;
      writeFileSync(file, damaged);
      expect(loadPageMap(paths, '1 abc')).toBe('the page map is damaged');
    }
    writeFileSync(file, Buffer.concat([Buffer.from('sqlferry page map 5\n'), bytes.subarray(20)]));
    expect(loadPageMap(paths, '1 abc')).toBe('the page map is from another version of sqlferry');
    writeFileSync(file, bytes.subarray(0, bytes.length - 3));
    expect(loadPageMap(paths, '1 abc')).toBe('the page map is damaged');
  });
});

describe('the page map file read and written a piece at a time', () => {
  // 100,000 pages: each array of 16 bytes a page spans two 1 MiB pieces of the checksum, and a
  // window of pages may lie across their boundary.
  const n = 100_000;
  const random = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const synthetic = (): PageMap => {
    const next = random(7);
    const hashes = Buffer.alloc(n * PAGE_HASH_BYTES);
    for (let i = 0; i < hashes.length; i++) hashes[i] = Math.floor(next() * 256);
    const spans = BigInt64Array.from({ length: 2 * n }, (_, i) => BigInt(Math.floor(next() * 2 ** 40)) * (i % 3 === 0 ? -1n : 1n));
    const cells = Uint16Array.from({ length: n }, () => Math.floor(next() * 300));
    const ints = () => Int32Array.from({ length: n }, () => Math.floor(next() * n) - 1);
    return {
      pageSize: 4096, pageCount: n, seed: 42n, values: new DenseValues(hashes, spans, cells),
      owners: ints(), leafOf: ints(), parents: ints(), kinds: Uint8Array.from({ length: n }, () => Math.floor(next() * 4)),
      tables: ['t', 'u'], layout: { t: '1', u: '2' }, mainFile: null, dbstatWalked: [], replaces: null,
    };
  };
  const sidecar = (): SidecarPaths => {
    const paths = sidecarPaths(join(tempDir(), 'p.db'));
    mkdirSync(paths.dir);
    return paths;
  };
  const load = (paths: SidecarPaths, entry: string): PageMap => {
    const map = loadPageMap(paths, entry);
    if (typeof map === 'string') throw new Error(map);
    return map;
  };
  /** Pages 5, 65,535 and 65,536 (the hashes of the last two in two pieces) and the last, changed. */
  const patched = (old: PageMap): PageMap => {
    const patches = new Patches();
    for (const p of [5, 65_535, 65_536, n - 1]) patches.add(p, true, Buffer.alloc(PAGE_HASH_BYTES, p % 251), 0, BigInt(-p), BigInt(p) << 33n, p % 1000);
    return { ...old, values: new PatchedValues(old.values, n, patches), replaces: old };
  };

  it('reads back every page’s values, in windows across pieces', () => {
    const paths = sidecar();
    const map = synthetic();
    savePageMap(paths, map, '1 a');
    const back = load(paths, '1 a');
    expect(back.values).toBeInstanceOf(StoredValues);
    expect(bytesOf(back.values).equals(bytesOf(map.values))).toBe(true);
    const next = random(3);
    for (let k = 0; k < 50; k++) {
      const from = Math.floor(next() * n);
      const to = Math.min(n, from + 1 + Math.floor(next() * 70_000));
      const [got, want] = [Buffer.alloc((to - from) * PAGE_HASH_BYTES), Buffer.alloc((to - from) * PAGE_HASH_BYTES)];
      back.values.hashesInto(from, to, got);
      map.values.hashesInto(from, to, want);
      expect(got.equals(want)).toBe(true);
      const [gotSpans, wantSpans] = [new BigInt64Array(2 * (to - from)), new BigInt64Array(2 * (to - from))];
      back.values.spansInto(from, to, gotSpans);
      map.values.spansInto(from, to, wantSpans);
      expect(Buffer.from(gotSpans.buffer).equals(Buffer.from(wantSpans.buffer))).toBe(true);
      const gotCells = new Uint16Array(to - from);
      back.values.cellsInto(from, to, gotCells);
      expect([...gotCells]).toEqual(Array.from({ length: to - from }, (_, i) => map.values.cellsOf(from + i)));
    }
  });

  it('writes a patched map over its file, byte for byte as a new file of it, and a crash part way through is refused', () => {
    const [paths, fresh] = [sidecar(), sidecar()];
    savePageMap(paths, synthetic(), '1 a');
    const before = readFileSync(join(paths.dir, 'pages.bin'));
    const next = patched(load(paths, '1 a'));
    const [want, structure] = [denseOf(next.values), structureOf(next)]; // before the save: the map it replaces is spent then
    savePageMap(paths, next, '2 b'); // over the file
    const over = readFileSync(join(paths.dir, 'pages.bin'));
    savePageMap(fresh, { ...next, ...structure, values: new DenseValues(want.hashes, want.spans, want.cells), replaces: null }, '2 b');
    expect(over.equals(readFileSync(join(fresh.dir, 'pages.bin')))).toBe(true);
    expect(bytesOf(load(paths, '2 b').values).equals(bytesOf(new DenseValues(want.hashes, want.spans, want.cells)))).toBe(true);
    // A crash after some pieces were written, before the others and the checksum: each piece of the old file put back in turn.
    for (let at = 0; at < before.length; at += 1 << 20) {
      const torn = Buffer.from(over);
      before.copy(torn, at, at, Math.min(before.length, at + (1 << 20)));
      if (torn.equals(over)) continue; // a piece it did not change
      writeFileSync(join(paths.dir, 'pages.bin'), torn);
      expect(loadPageMap(paths, '2 b')).toBe('the page map is damaged');
    }
  });

  it('still reads a map whose file was removed since (a commit forgets the fingerprint first), and writes a new one', () => {
    const paths = sidecar();
    const map = synthetic();
    savePageMap(paths, map, '1 a');
    const next = patched(load(paths, '1 a'));
    const want = bytesOf(next.values);
    forgetPageMap(paths);
    savePageMap(paths, next, '2 b');
    expect(bytesOf(load(paths, '2 b').values).equals(want)).toBe(true);
  });

  it('refuses a map whose file another writer changed since it was read: its reads fail, its save records none', () => {
    const paths = sidecar();
    savePageMap(paths, synthetic(), '1 a');
    const old = load(paths, '1 a');
    const file = join(paths.dir, 'pages.bin');
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.from([1, 2, 3]), 0, 3, 2_000_000); // in place: a byte of the hashes
    writeSync(fd, Buffer.from([9]), 0, 1, 3_300_000); // and of the owners
    closeSync(fd);
    expect(() => old.values.hashesInto(0, n, Buffer.alloc(n * PAGE_HASH_BYTES))).toThrow(PageMapChangedError);
    expect(() => old.owners.at(n - 1)).toThrow(PageMapChangedError);
    savePageMap(paths, patched(old), '2 b');
    expect(loadPageMap(paths, '2 b')).toBe('no page map from the last commit');
  });
});
