// A large entry (src/shared/pieces.ts) pushed, pulled and cloned as a stream of pieces, through a
// folder hub and through `serve`, gives what the unsplit path gives, byte for byte. The piece size
// is made small (SQLFERRY_PIECE_BYTES) so that an entry of some hundreds of KiB is "large".
import { afterAll, describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHubServer } from '../../src/server/serve.ts';
import { openFolderRoot } from '../../src/remote/file/store.ts';
import { loadTokens } from '../../src/server/tokens.ts';
import { initHub } from '../../src/sync/init-hub.ts';
import { entryPaths } from '../../src/repo/sidecar.ts';
import { verify } from '../../src/repo/verify.ts';
import type { Replica } from '../../src/repo/replica.ts';
import { cloneReplica, commitAll, firstReplica, pullWith, pushTo, rows, sql, tempDir, withRemote } from './helpers.ts';
import { collect } from '../../src/hub/checksum.ts';

// The filler keeps the database larger than the entry, so no snapshot is due and the clone replays the entry.
const SCHEMA = `CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, amount REAL, note BLOB); CREATE TABLE u(k TEXT PRIMARY KEY, n INT);
  CREATE TABLE filler(id INTEGER PRIMARY KEY, b BLOB); INSERT INTO filler VALUES (1, zeroblob(2000000))`;
const series = (n: number) => `(WITH RECURSIVE s(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM s WHERE value < ${n}) SELECT value FROM s)`;
const BULK = `INSERT INTO t SELECT value, 'name ' || value, value * 0.25, zeroblob(value % 50) FROM ${series(8000)};
  INSERT INTO u SELECT 'k' || value, value FROM ${series(2000)}`;

const root = tempDir('sqlferry-large-serve-');
const token = 'large-entry-token-0123456789abcdef';
const server = await startHubServer({
  store: openFolderRoot(root), host: '127.0.0.1', port: 0, tokens: loadTokens(token, undefined),
  maxEntryBytes: 64 << 20, maxSnapshotBytes: 64 << 20, log: () => {},
});
const tokenWas = process.env.SQLFERRY_TOKEN;
process.env.SQLFERRY_TOKEN = token;
afterAll(async () => {
  await server.close(100);
  if (tokenWas === undefined) delete process.env.SQLFERRY_TOKEN;
  else process.env.SQLFERRY_TOKEN = tokenWas;
});

/** Push a bulk commit from a to the hub, pull it into b (cloned before), clone c after: with pieces of `pieceBytes`, or unset. */
async function transfer(hub: string, dir: string, pieceBytes: number | undefined) {
  const was = process.env.SQLFERRY_PIECE_BYTES;
  if (pieceBytes === undefined) delete process.env.SQLFERRY_PIECE_BYTES;
  else process.env.SQLFERRY_PIECE_BYTES = String(pieceBytes);
  try {
    const a = await firstReplica(dir, hub, SCHEMA);
    const b = await cloneReplica(dir, hub, 'b');
    sql(a.paths.db, BULK);
    commitAll(a, 'bulk');
    expect(await pushTo(a, hub)).toMatchObject({ pushed: 1, head: 1 });
    expect(await pullWith(b, hub)).toMatchObject({ pulled: 1, head: 1, conflicts: [] });
    const c = await cloneReplica(dir, hub, 'c');
    const hubEntry = await withRemote(hub, async (r) => {
      const { meta, body } = await r.read(1);
      return { meta, bytes: await collect(body) };
    });
    return { a, b, c, hubEntry };
  } finally {
    if (was === undefined) delete process.env.SQLFERRY_PIECE_BYTES;
    else process.env.SQLFERRY_PIECE_BYTES = was;
  }
}

const logBytes = (r: Replica, seq: number) => readFileSync(entryPaths(r.paths, seq).bytes);
/** The database file after its first page (where a pull's scratch views, named at random, leave their bytes: pending-pull.ts). */
const pages = (r: Replica): Buffer => readFileSync(r.paths.db).subarray(4096);
const content = (r: Replica) => ({ t: rows(r.paths.db, 't'), u: rows(r.paths.db, 'u') });

describe('a large entry in pieces', () => {
  for (const transport of ['folder', 'serve'] as const) {
    it(`pushes, pulls and clones through ${transport === 'folder' ? 'a folder hub' : 'serve'} as the unsplit path does`, async () => {
      const hubAt = async (name: string) => {
        const url = transport === 'folder' ? join(tempDir(), 'hub') : `${server.url}/${name}-${Math.random().toString(36).slice(2)}`;
        await initHub(url);
        return url;
      };
      const inPieces = await transfer(await hubAt('pieced'), tempDir(), 4096);
      const unsplit = await transfer(await hubAt('whole'), tempDir(), undefined);
      // Large enough to travel as a stream of many pieces, small enough for one piece unsplit.
      expect(inPieces.hubEntry.bytes.length).toBeGreaterThan(100 * 4096);
      expect(inPieces.hubEntry.bytes.length).toBeLessThan(8 << 20);
      for (const run of [inPieces, unsplit]) {
        expect(Buffer.compare(run.hubEntry.bytes, logBytes(run.a, 1))).toBe(0);
        for (const r of [run.b, run.c]) {
          expect(Buffer.compare(logBytes(r, 1), logBytes(run.a, 1))).toBe(0);
          expect(content(r)).toEqual(content(run.a));
          expect(verify(r).ok).toBe(true);
        }
      }
      expect(Buffer.compare(inPieces.hubEntry.bytes, unsplit.hubEntry.bytes)).toBe(0);
      expect(inPieces.hubEntry.meta.digest).toEqual(unsplit.hubEntry.meta.digest);
      expect(Buffer.compare(pages(inPieces.b), pages(unsplit.b))).toBe(0);
      expect(content(inPieces.b)).toEqual(content(unsplit.b));
    });
  }
});
