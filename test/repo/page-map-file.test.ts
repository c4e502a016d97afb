// pages.bin: read back as written, and refused — never half trusted — when damaged, from another
// version of sqlferry, or from another commit.
import { describe, it, expect } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { layoutOf, nextPageMap } from '../../src/repo/pages/page-map.ts';
import { loadPageMap, savePageMap } from '../../src/repo/pages/page-map-file.ts';
import { readPageImages } from '../../src/repo/pages/page-read.ts';
import { sidecarPaths } from '../../src/repo/sidecar.ts';
import { tempDir } from './helpers.ts';
import { denseOf } from './page-values-dense.ts';

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
    savePageMap(paths, { ...map, mainFile: { ino: '1', size: '2', mtimeNs: '3', ctimeNs: '4' } }, '1 abc');
    const back = loadPageMap(paths, '1 abc');
    if (typeof back === 'string') throw new Error(back);
    const { values, ...rest } = map;
    expect({ ...back, values: denseOf(back.values) }).toEqual({ ...rest, values: denseOf(values), mainFile: { ino: '1', size: '2', mtimeNs: '3', ctimeNs: '4' }, dbstatWalked: [] });
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
