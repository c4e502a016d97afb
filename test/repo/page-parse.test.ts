// The hash kernel's parse of a changed page (page-hash/page-parse.c) reads what leaf-span.ts and
// btree-walk.ts's PageLinkTable.add read, number for number: the pages of a database with every
// kind of b-tree page (table and index, interior and leaf, overflow chains, page 1), and the
// same pages with bytes changed at random, which do not parse or parse into other numbers.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { pageHasher, PARSE_IN_JS } from '../../src/repo/pages/page-hash/page-hash.ts';
import { leafSpan } from '../../src/repo/pages/leaf-span.ts';
import { PageLinkTable } from '../../src/repo/pages/btree-walk.ts';

const hashers: Record<number, ReturnType<typeof pageHasher>> = {};

/** What the JavaScript reads of page `pageno`, and what the kernel reads; null when the kernel leaves it to the JavaScript. */
function bothReadings(page: Buffer, pageno: number, usable: number) {
  const spans = new BigInt64Array(2);
  const cells = new Uint16Array(1);
  leafSpan(page, pageno, spans, cells, 0);
  const js = new PageLinkTable(pageno);
  js.add(page, pageno - 1, usable);
  const hasher = (hashers[page.length] ??= pageHasher(0n, page.length, page.length));
  hasher.input.set(page);
  hasher.parsePage(0, page.length, usable, pageno);
  const { span, words } = hasher.parsed;
  if (words[4] === PARSE_IN_JS) return null;
  const kernel = new PageLinkTable(pageno);
  kernel.addParsed(pageno - 1, words);
  const links = (t: PageLinkTable) => {
    const i = t.slotOf(pageno - 1);
    return { next: t.next[i], kind: t.kinds[i], start: t.starts[i], end: t.starts[i] === -1 ? null : t.ends[i], children: [...t.packed.subarray(0, t.children)].map((c) => (c >= 0 ? [c, -1] : [t.chains[-2 - 2 * c], t.chains[-1 - 2 * c]])) };
  };
  return {
    js: { lo: spans[0], hi: spans[1], cells: cells[0], ...links(js) },
    kernel: { lo: span[0], hi: span[1], cells: words[0], ...links(kernel) },
  };
}

/** A database whose pages are of every kind: rowid tables with short and overflowing rows, an index, a WITHOUT ROWID table, a page size of `pageSize`. */
function varied(pageSize: number): Buffer[] {
  const dir = mkdtempSync(join(tmpdir(), 'sqlferry-parse-'));
  try {
    const path = join(dir, 'v.db');
    const db = new DatabaseSync(path);
    db.exec(`PRAGMA page_size = ${pageSize}; PRAGMA journal_mode = DELETE;
      CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b BLOB);
      CREATE INDEX t_a ON t(a);
      CREATE TABLE w(k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID;
      WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 3000)
        INSERT INTO t SELECT i * 7 - 9000, printf('%.*c', 1 + i % 300, 'a'), CASE WHEN i % 50 = 0 THEN randomblob(i * 5) END FROM s;
      WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 800)
        INSERT INTO w SELECT printf('key %08d %.*c', i, i % 900, 'k'), randomblob(i % 97 * 31) FROM s;
      INSERT INTO t VALUES (9223372036854775807, 'max', NULL), (-9223372036854775808, 'min', NULL);`);
    db.close();
    const bytes = readFileSync(path);
    return Array.from({ length: bytes.length / pageSize }, (_, i) => Buffer.from(bytes.subarray(i * pageSize, (i + 1) * pageSize)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A small deterministic generator: the same pages in every run. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe('the kernel’s parse of a changed page', () => {
  for (const pageSize of [512, 4096]) {
    it(`reads every page of a database as the JavaScript does (pages of ${pageSize} bytes)`, () => {
      const pages = varied(pageSize);
      const kinds = new Set<number>();
      for (const [i, page] of pages.entries()) {
        const both = bothReadings(page, i + 1, pageSize);
        expect(both, `page ${i + 1}`).not.toBeNull();
        expect(both!.kernel, `page ${i + 1}`).toEqual(both!.js);
        kinds.add(page[i === 0 ? 100 : 0]!);
      }
      for (const type of [0x02, 0x05, 0x0a, 0x0d]) expect(kinds.has(type), `a page of type ${type}`).toBe(true);
      expect(pages.some((p) => p[0] === 0x0d && bothReadings(p, 2, pageSize)!.js.children.length > 0), 'a leaf with an overflow chain').toBe(true);
    });

    it(`reads pages with bytes changed at random as the JavaScript does (pages of ${pageSize} bytes)`, () => {
      const pages = varied(pageSize).slice(1);
      const next = random(pageSize);
      let compared = 0;
      for (let round = 0; round < 3000; round++) {
        const page = Buffer.from(pages[Math.floor(next() * pages.length)]!);
        const changes = 1 + Math.floor(next() * 8);
        for (let k = 0; k < changes; k++) {
          // Mostly the header and cell pointers, where a change moves what is read.
          const at = next() < 0.6 ? Math.floor(next() * 24) : Math.floor(next() * pageSize);
          page[at] = next() < 0.3 ? 0xff : Math.floor(next() * 256);
        }
        const usable = pageSize - (next() < 0.2 ? Math.floor(next() * 64) : 0);
        const pageno = 2 + Math.floor(next() * 50);
        const both = bothReadings(page, pageno, usable);
        if (both === null) continue;
        compared++;
        expect(both.kernel, `round ${round}`).toEqual(both.js);
      }
      expect(compared).toBeGreaterThan(2500);
    });
  }
});
