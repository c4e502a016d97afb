// A large local commit (src/shared/pieces.ts) pushed to a patchset hub is converted from its log
// file a piece at a time and sent as a stream: the hub stores the bytes the whole conversion
// gives, replicas that pull or clone it apply it, and no piece handed to the hub is much larger
// than a piece. The piece size is made small so that an entry of some hundreds of KiB is large.
import { describe, it, expect } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { changesetToPatchset } from '../../src/changeset/index.ts';
import { collect } from '../../src/hub/checksum.ts';
import type { EntryWithBytes, Remote } from '../../src/hub/remote.ts';
import { openRemote } from '../../src/remote/registry.ts';
import type { Replica } from '../../src/repo/replica.ts';
import { entryPaths } from '../../src/repo/sidecar.ts';
import { verify } from '../../src/repo/verify.ts';
import { streamed } from '../../src/shared/pieces.ts';
import { positionOf, savePosition } from '../../src/sync/hub-state.ts';
import { push } from '../../src/sync/push.ts';
import { usePieceBytes } from '../repo/helpers.ts';
import { cloneReplica, commitAll, firstReplica, newHub, pullWith, pushTo, rows, sql, tempDir, withRemote } from './helpers.ts';

const PIECE = 4096;
usePieceBytes(PIECE);

// The filler keeps the database larger than the entries, so no snapshot is due and the clone replays them.
const SCHEMA = `CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, amount REAL, note BLOB); CREATE TABLE u(k TEXT, n INT, v, PRIMARY KEY(k, n));
  CREATE TABLE filler(id INTEGER PRIMARY KEY, b BLOB); INSERT INTO filler VALUES (1, zeroblob(2000000))`;
const series = (n: number) => `(WITH RECURSIVE s(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM s WHERE value < ${n}) SELECT value FROM s)`;
const INSERTS = `INSERT INTO t SELECT value, 'name ' || value, value * 0.25, zeroblob(value % 50) FROM ${series(6000)};
  INSERT INTO u SELECT 'k' || value, value, value FROM ${series(2000)}`;
// Updates and deletes, which a patchset writes shorter than the changeset: its bytes differ.
const EDITS = `UPDATE t SET amount = -amount WHERE id % 3 = 0; DELETE FROM t WHERE id % 7 = 0;
  UPDATE u SET v = 'x' || v WHERE n % 2 = 0; DELETE FROM u WHERE n % 5 = 0; INSERT INTO t VALUES (100000, 'late', 1, NULL)`;

const logBytes = (r: Replica, seq: number) => readFileSync(entryPaths(r.paths, seq).bytes);
const content = (r: Replica) => ({ t: rows(r.paths.db, 't'), u: rows(r.paths.db, 'u') });

/** The hub at `url`, telling `seen` the largest buffer it was handed to append, in a stream or a batch. */
async function watchedRemote(url: string, seen: { largest: number; streams: number }): Promise<Remote> {
  const remote = await openRemote(url);
  const note = (n: number) => (seen.largest = Math.max(seen.largest, n));
  return new Proxy(remote, {
    get(target, key) {
      if (key === 'appendStream') {
        return async (meta: EntryWithBytes['meta'], body: AsyncIterable<Uint8Array>) => {
          seen.streams += 1;
          const watched = async function* () {
            for await (const chunk of body) {
              note(chunk.byteLength);
              yield chunk;
            }
          };
          return target.appendStream(meta, watched());
        };
      }
      if (key === 'appendBatch') {
        return async (entries: EntryWithBytes[]) => {
          for (const e of entries) note(e.bytes.byteLength);
          return target.appendBatch(entries);
        };
      }
      const value = Reflect.get(target, key) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** A replica with two large commits not pushed yet (inserts, then edits of them), and a clone made before them. */
async function twoLargeCommits() {
  const dir = tempDir();
  const hub = await newHub(dir, 'patchset');
  const a = await firstReplica(dir, hub, SCHEMA);
  const b = await cloneReplica(dir, hub, 'b');
  sql(a.paths.db, INSERTS);
  commitAll(a, 'inserts');
  sql(a.paths.db, EDITS);
  commitAll(a, 'edits');
  for (const seq of [1, 2]) expect(streamed(a.meta(seq).size)).toBe(true);
  return { dir, hub, a, b };
}

describe('a large commit pushed to a patchset hub', () => {
  it('is sent in pieces, as the whole conversion, and pulled and cloned elsewhere', async () => {
    const { dir, hub, a, b } = await twoLargeCommits();
    const seen = { largest: 0, streams: 0 };
    const remote = await watchedRemote(hub, seen);
    try {
      expect(await push(a, remote)).toMatchObject({ pushed: 2, head: 2 });
    } finally {
      await remote.close();
    }
    expect(seen.streams).toBe(2);
    expect(seen.largest).toBeLessThanOrEqual(2 * PIECE);
    for (const seq of [1, 2]) {
      const { meta, body } = await withRemote(hub, async (r) => {
        const read = await r.read(seq);
        return { meta: read.meta, body: await collect(read.body) };
      });
      const whole = changesetToPatchset(logBytes(a, seq));
      expect(meta).toMatchObject({ kind: 'patchset', size: whole.length });
      expect(whole.length).toBeGreaterThan(8 * PIECE);
      expect(Buffer.compare(body, whole)).toBe(0);
    }
    expect(await pullWith(b, hub)).toMatchObject({ pulled: 2, head: 2, conflicts: [] });
    const c = await cloneReplica(dir, hub, 'c');
    for (const r of [b, c]) {
      expect(content(r)).toEqual(content(a));
      expect(verify(r).ok).toBe(true);
    }
    expect(verify(a).ok).toBe(true);
    // An entry pushed after them names the large one by its patchset's checksum: a pulls it, and verify follows that name.
    sql(b.paths.db, 'DELETE FROM t WHERE id = 3');
    commitAll(b, 'after');
    await pushTo(b, hub);
    expect(await pullWith(a, hub)).toMatchObject({ pulled: 1, head: 3 });
    expect(verify(a).ok).toBe(true);
  });

  it('is taken as pushed when the push stopped before saving the position (checksum counted in pieces)', async () => {
    const { hub, a } = await twoLargeCommits();
    const { hubId, hubSeq, hubTip } = positionOf(a);
    await pushTo(a, hub);
    savePosition(a, { hubId: hubId!, hubSeq, hubTip: hubTip! }); // as if the push stopped right after its appends
    expect(await pushTo(a, hub)).toMatchObject({ pushed: 0, head: 2 });
    sql(a.paths.db, "UPDATE t SET name = 'again' WHERE id = 1");
    commitAll(a, 'small');
    expect(await pushTo(a, hub)).toMatchObject({ pushed: 1, head: 3 });
  });

  it('is refused, nothing appended, when its log file was damaged', async () => {
    const { hub, a } = await twoLargeCommits();
    const file = entryPaths(a.paths, 1).bytes;
    const bytes = readFileSync(file);
    bytes[bytes.length >> 1]! ^= 0x01;
    writeFileSync(file, bytes);
    await expect(pushTo(a, hub)).rejects.toMatchObject({ code: 'LOG_CORRUPT', data: { seq: 1 } });
    expect(await withRemote(hub, (r) => r.head())).toBe(0);
  });
});
