// A push's claims start from the digest at the hub position, kept in digest.json; without it the
// replica scans that state: genesis.db itself at the genesis's entry, a checkout at any other.
// Either way the claims are the ones a puller counts.
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { digestClaims } from '../../src/changeset/digest.ts';
import { openBase } from '../../src/repo/base/base.ts';
import { scanDigests } from '../../src/repo/digest-scan.ts';
import type { Replica } from '../../src/repo/replica.ts';
import { cloneReplica, commitAll, firstReplica, newHub, pullWith, pushTo, rows, sql, tempDir } from './helpers.ts';

function baseClaims(replica: Replica): Record<string, string> {
  const base = openBase(replica.paths);
  try {
    return digestClaims(scanDigests(base));
  } finally {
    base.close();
  }
}

describe('a push without digest.json', () => {
  it('claims from the genesis as it is, at the genesis', async () => {
    const dir = tempDir();
    const hub = await newHub(dir);
    const a = await firstReplica(dir, hub, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'one'), (2, 'two')");
    const b = await cloneReplica(dir, hub, 'b');
    sql(a.paths.db, "UPDATE t SET v = 'uno' WHERE id = 1; INSERT INTO t VALUES (3, 'three')");
    commitAll(a);
    rmSync(a.paths.digest, { force: true });
    await pushTo(a, hub);
    await pullWith(b, hub);
    expect(rows(b.paths.db, 't')).toEqual(rows(a.paths.db, 't'));
    expect(baseClaims(b)).toEqual(baseClaims(a));
  });

  it('claims from a checkout, past the genesis', async () => {
    const dir = tempDir();
    const hub = await newHub(dir);
    const a = await firstReplica(dir, hub, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'one')");
    const b = await cloneReplica(dir, hub, 'b');
    sql(a.paths.db, "INSERT INTO t VALUES (2, 'two')");
    commitAll(a);
    await pushTo(a, hub);
    sql(a.paths.db, "UPDATE t SET v = 'dos' WHERE id = 2");
    commitAll(a);
    rmSync(a.paths.digest, { force: true });
    await pushTo(a, hub);
    await pullWith(b, hub);
    expect(rows(b.paths.db, 't')).toEqual(rows(a.paths.db, 't'));
    expect(baseClaims(b)).toEqual(baseClaims(a));
  });
});
