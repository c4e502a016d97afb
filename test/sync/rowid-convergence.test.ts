// Tables tracked by rowid (no PRIMARY KEY, plain FTS5, R*Tree) and an external-content FTS5
// index kept by triggers, edited on four replicas with rowid collisions and VACUUMs: every
// replica ends with the same rows under the same rowids, answers the same full-text and
// R*Tree queries, and passes verify and the full-text integrity check.
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { openRemote } from '../../src/remote/registry.ts';
import { chooseHandlers } from '../../src/sync/handlers/index.ts';
import { sync } from '../../src/sync/sync.ts';
import { commit } from '../../src/repo/capture/commit.ts';
import { verify } from '../../src/repo/verify.ts';
import { cloneReplica, firstReplica, newHub, tempDir } from './helpers.ts';
import { prng } from './simulation.ts';

const SCHEMA = `
  CREATE TABLE nopk(a INT, v TEXT);
  CREATE TABLE docs(id INTEGER PRIMARY KEY, body TEXT);
  CREATE VIRTUAL TABLE docs_fts USING fts5(body, content='docs', content_rowid='id');
  CREATE TRIGGER docs_ai AFTER INSERT ON docs BEGIN INSERT INTO docs_fts(rowid, body) VALUES (new.id, new.body); END;
  CREATE TRIGGER docs_ad AFTER DELETE ON docs BEGIN INSERT INTO docs_fts(docs_fts, rowid, body) VALUES ('delete', old.id, old.body); END;
  CREATE TRIGGER docs_au AFTER UPDATE ON docs BEGIN
    INSERT INTO docs_fts(docs_fts, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO docs_fts(rowid, body) VALUES (new.id, new.body); END;
  CREATE VIRTUAL TABLE notes USING fts5(body);
  CREATE VIRTUAL TABLE box USING rtree(id, x0, x1);`;

const WORDS = ['apple', 'pear', 'plum', 'fig', 'kiwi', 'lime'];
const QUERIES = [
  'SELECT rowid, a, v FROM nopk ORDER BY rowid',
  'SELECT rowid, body FROM notes ORDER BY rowid',
  'SELECT rowid, * FROM box ORDER BY rowid',
  'SELECT id, body FROM docs ORDER BY id',
  ...WORDS.map((w) => `SELECT rowid FROM docs_fts WHERE docs_fts MATCH '${w}' ORDER BY rowid`),
  ...WORDS.map((w) => `SELECT rowid FROM notes WHERE notes MATCH '${w}' ORDER BY rowid`),
  'SELECT id FROM box WHERE x0 <= 50 AND x1 >= 40 ORDER BY id',
];

async function run(seed: number, operations: number): Promise<void> {
  const random = prng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)]!;
  const dir = tempDir('sqlferry-rowid-');
  const hub = await newHub(dir);
  const remote = await openRemote(hub);
  const replicas = [await firstReplica(dir, hub, SCHEMA, 'r0')];
  for (let i = 1; i < 4; i++) replicas.push(await cloneReplica(dir, hub, `r${i}`));
  const handlers = [await chooseHandlers([]), await chooseHandlers([{ rule: 'rekey', baseDir: dir }]), await chooseHandlers([]), await chooseHandlers([{ rule: 'local', baseDir: dir }])];
  const apps = replicas.map((r) => new DatabaseSync(r.paths.db, { timeout: 5000 }));
  try {
    for (let op = 0; op < operations; op++) {
      const n = Math.floor(random() * 4);
      const app = apps[n]!;
      const words = `${pick(WORDS)} ${pick(WORDS)} r${n}-${op}`;
      const r = random();
      const id = 1 + Math.floor(random() * 12);
      try {
        if (r < 0.15) app.prepare('INSERT INTO nopk VALUES (?, ?)').run(id, words);
        else if (r < 0.22) app.prepare('UPDATE nopk SET v = ? WHERE rowid = ?').run(words, id);
        else if (r < 0.28) app.prepare('DELETE FROM nopk WHERE rowid = ?').run(id);
        else if (r < 0.36) app.prepare('INSERT OR REPLACE INTO docs VALUES (?, ?)').run(id, words);
        else if (r < 0.4) app.prepare('DELETE FROM docs WHERE id = ?').run(id);
        else if (r < 0.47) app.prepare('INSERT INTO notes(body) VALUES (?)').run(words);
        else if (r < 0.5) app.prepare('UPDATE notes SET body = ? WHERE rowid = ?').run(words, id);
        else if (r < 0.56) app.prepare('INSERT OR REPLACE INTO box VALUES (?, ?, ?)').run(id, id * 5, id * 5 + random() * 20);
        else if (r < 0.6) app.exec('VACUUM');
        else if (r < 0.75) commit(replicas[n]!, { message: `op ${op}` });
        else await sync(replicas[n]!, remote, { handlers: handlers[n]!, attempts: 10 });
      } catch (err) {
        if ((err as { code?: string }).code === 'PUSH_REJECTED') continue;
        if (/constraint/i.test(String((err as Error).message))) continue; // the application's own refusal
        throw err;
      }
    }
    for (let round = 0; round < 2; round++) for (const [i, r] of replicas.entries()) await sync(r, remote, { handlers: handlers[i]!, attempts: 10 });
    const answers = apps.map((app) => QUERIES.map((q) => JSON.stringify(app.prepare(q).all())));
    for (const a of answers.slice(1)) expect(a).toEqual(answers[0]);
    for (const app of apps) app.exec("INSERT INTO docs_fts(docs_fts, rank) VALUES ('integrity-check', 1)");
    for (const r of replicas) expect(verify(r).problems).toEqual([]);
    expect(answers[0]!.some((a) => a.length > 2)).toBe(true);
  } finally {
    for (const app of apps) app.close();
    await remote.close();
  }
}

describe('tables tracked by rowid and full-text indexes', () => {
  it('converge across four replicas with collisions and VACUUM, and answer the same queries', async () => {
    for (const seed of [1, 2, 3]) await run(seed, 120);
  }, 300_000);
});
