// A pull works on each batch of hub entries as it arrives (src/sync/fetch.ts, pull-entries.ts):
// the next batch is asked for before the work on the last one ends, and a hub that lies in a
// batch while others are still in flight is refused as before: one sentence, exit 6, nothing
// applied, nothing left in the sidecar.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Remote } from '../../src/hub/remote.ts';
import { sha256 } from '../../src/hub/checksum.ts';
import { metaName } from '../../src/hub/folder/layout.ts';
import { fetchEntries, type FetchedEntry } from '../../src/sync/fetch.ts';
import { positionOf } from '../../src/sync/hub-state.ts';
import { cli } from '../repo/helpers.ts';
import { SqlferryError } from '../../src/errors/index.ts';
import { cloneReplica, commitAll, firstReplica, newHub, pullWith, pushTo, rows, sql, tempDir, withRemote } from './helpers.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Four hub entries of ~800 KB each (a batch apiece: fetch.ts asks for 1 MiB at a time), and b cloned before them. */
async function setup() {
  const dir = tempDir('sqlferry-fetch-batches-');
  dirs.push(dir);
  const hub = await newHub(dir);
  const a = await firstReplica(dir, hub, 'CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)');
  const b = await cloneReplica(dir, hub, 'b');
  for (let c = 0; c < 4; c++) {
    sql(a.paths.db, `INSERT INTO t VALUES (${2 * c + 1}, randomblob(400000)), (${2 * c + 2}, randomblob(400000))`);
    commitAll(a, `commit ${c}`);
  }
  await pushTo(a, hub);
  return { dir, hub, a, b };
}

/** t's rows, each blob by its sha256 (comparing 400 KB arrays element by element is slow). */
const content = (db: string) => rows(db, 't').map((r) => [r.id, sha256(r.v as Uint8Array)]);
const metaFile = (hub: string, seq: number) => join(hub, 'log', metaName(seq));
const readMeta = (hub: string, seq: number) => JSON.parse(readFileSync(metaFile(hub, seq), 'utf8')) as Record<string, unknown>;

describe('fetching in batches', () => {
  it('asks for the next batch before the work on the last one ends, and hands every batch over in order', async () => {
    const { hub, b } = await setup();
    const { hubSeq, hubTip } = positionOf(b);
    const events: string[] = [];
    const taken: FetchedEntry[] = [];
    const fetched = await withRemote(hub, (remote) => {
      const watched = new Proxy(remote, {
        get(target, prop) {
          const value = Reflect.get(target, prop, target) as unknown;
          if (prop !== 'readBatch') return typeof value === 'function' ? value.bind(target) : value;
          return (after: number, limits: unknown) => {
            events.push(`read ${after + 1}`);
            return (value as Remote['readBatch']).call(target, after, limits as Parameters<Remote['readBatch']>[1]);
          };
        },
      });
      return fetchEntries(watched, hubSeq, hubTip!, () => join(b.paths.dir, 'unused'), undefined, async (batch) => {
        const seqs = batch.map((e) => e.meta.seq).join(',');
        events.push(`take ${seqs}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
        events.push(`took ${seqs}`);
        taken.push(...batch);
      });
    });
    expect(fetched.map((e) => e.meta.seq)).toEqual([1, 2, 3, 4]);
    expect(taken).toEqual(fetched);
    expect(events.filter((e) => e.startsWith('take'))).toEqual(['take 1', 'take 2', 'take 3', 'take 4']);
    for (const k of [1, 2, 3]) expect(events.indexOf(`read ${k + 1}`), events.join('; ')).toBeLessThan(events.indexOf(`took ${k}`));
    expect(events.indexOf('read 3'), events.join('; ')).toBeLessThan(events.indexOf('take 1'));
  });
});

describe('a hub lying in one batch while the next is in flight', () => {
  /**
   * Pulled: refused with `code` and `message`, b as it was, no pull/ left; then the honest hub
   * pulls. `viaCli`: through the CLI, as a user sees it (one sentence, exit 6).
   */
  async function refused(plantLie: (hub: string) => () => void, code: string, message: RegExp, viaCli = false) {
    const { dir, hub, a, b } = await setup();
    const before = content(b.paths.db);
    const log = readdirSync(b.paths.log).sort();
    const undo = plantLie(hub);
    if (viaCli) {
      const r = cli(dir, 'pull', '--db', b.paths.db);
      expect(r.stderr).toMatch(new RegExp(`^error: ${message.source}`));
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.status).toBe(6);
    } else {
      const err = await pullWith(b, hub).then(() => undefined, (e: unknown) => e as SqlferryError);
      expect(err).toBeInstanceOf(SqlferryError);
      expect(err!.message).toMatch(message);
      expect(err).toMatchObject({ code, exitCode: 6 });
    }
    expect(content(b.paths.db)).toEqual(before);
    expect(readdirSync(b.paths.log).sort()).toEqual(log);
    expect(existsSync(join(b.paths.dir, 'pull'))).toBe(false);
    undo();
    expect((await pullWith(b, hub)).pulled).toBe(4);
    expect(content(b.paths.db)).toEqual(content(a.paths.db));
  }

  /** Entry `seq`'s metadata rewritten by `change`; returns what puts it back. */
  function rewriteMeta(hub: string, seq: number, change: (meta: Record<string, unknown>) => Record<string, unknown>): () => void {
    const honest = readFileSync(metaFile(hub, seq));
    writeFileSync(metaFile(hub, seq), JSON.stringify(change(readMeta(hub, seq))));
    return () => writeFileSync(metaFile(hub, seq), honest);
  }

  it('is refused when an entry does not decode, its checksum and the chain after it made to match', async () => {
    await refused((hub) => {
      // Entry 3's bytes cut short, as a forger would: metadata and entry 4's parent made to agree.
      const meta = readMeta(hub, 3);
      const bytes = readFileSync(join(hub, 'log', meta.file as string)).subarray(0, 1000);
      const file = `${metaName(3).slice(0, -5)}.planted.changeset`;
      writeFileSync(join(hub, 'log', file), bytes);
      const undo3 = rewriteMeta(hub, 3, (m) => ({ ...m, file, sha256: sha256(bytes), size: bytes.length }));
      const undo4 = rewriteMeta(hub, 4, (m) => ({ ...m, parent: sha256(bytes) }));
      return () => (undo3(), undo4());
    }, 'HUB_ENTRY_CORRUPT', /hub entry 3 is not a valid changeset: .*; nothing was pulled/);
  });

  it('is refused when a later entry claims another content digest', async () => {
    await refused((hub) => rewriteMeta(hub, 4, (m) => ({ ...m, digest: { t: '0'.repeat(64) } })),
      'HUB_ENTRY_DIGEST_MISMATCH', /hub entry 4 does not match the content digest it claims \(table "t"\): .*nothing was applied/, true);
  });

  it('is refused when an entry changes a table this replica lacks, its schema statement and claim left out', async () => {
    const { hub, a, b } = await setup();
    sql(a.paths.db, "CREATE TABLE u(id INTEGER PRIMARY KEY, w TEXT); INSERT INTO u VALUES (1, 'x')");
    commitAll(a, 'u');
    await pushTo(a, hub);
    // Entry 5 as an older sqlferry would have written it (no digest), without its CREATE TABLE: checked against the schema, it cannot apply.
    const { digest: _claim, ...older } = readMeta(hub, 5);
    writeFileSync(metaFile(hub, 5), JSON.stringify({ ...older, schema: [] }));
    const before = content(b.paths.db);
    const err = await pullWith(b, hub).then(() => undefined, (e: unknown) => e as SqlferryError);
    expect(err).toMatchObject({ code: 'REPLICA_DIVERGED', exitCode: 6 });
    expect(err!.message).toMatch(/^hub entry 5 does not apply to this replica: cannot apply changes to table "u": there is no such table/);
    expect(content(b.paths.db)).toEqual(before);
    expect(existsSync(join(b.paths.dir, 'pull'))).toBe(false);
  });

  it('is refused when a later entry does not continue the history', async () => {
    await refused((hub) => rewriteMeta(hub, 4, (m) => ({ ...m, parent: '0'.repeat(64) })),
      'HUB_HISTORY_MISMATCH', /the hub at .* does not continue this replica's history \(entry 4 has another parent\)/);
  });
});
