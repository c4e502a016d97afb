// Every command that changes a replica first finishes an interrupted pull, through
// Replica.withLock or Replica.withLockAsync (sync, pull, push). The other tests reach the
// recovery through a later `commit`'s withLock; the async path is checked here on its own.
import { describe, it, expect } from 'vitest';
import { readPending } from '../../src/repo/pull-recovery/pending-pull.ts';
import { verify } from '../../src/repo/verify.ts';
import { cloneReplica, commitAll, firstReplica, newHub, pullCutAfterCommit, pushTo, rows, sql, tempDir } from './helpers.ts';

describe('Replica.withLockAsync', () => {
  it('finishes an interrupted pull before its body runs', async () => {
    const dir = tempDir('sqlferry-lock-recovery-');
    const hub = await newHub(dir);
    const a = await firstReplica(dir, hub, 'CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);');
    const b = await cloneReplica(dir, hub, 'b');
    sql(a.paths.db, "INSERT INTO t VALUES (1, 'from a')");
    commitAll(a);
    await pushTo(a, hub);

    await pullCutAfterCommit(b, hub, 1);
    expect(readPending(b.paths)?.phase).toBe('prepared');

    expect(await b.withLockAsync(async () => ({ pending: readPending(b.paths), seqs: b.seqs(), hubSeq: b.state().hubSeq }))).toEqual({ pending: null, seqs: [1], hubSeq: 1 });
    expect(rows(b.paths.db, 't')).toEqual(rows(a.paths.db, 't'));
    expect(verify(b)).toMatchObject({ ok: true });
  });
});
