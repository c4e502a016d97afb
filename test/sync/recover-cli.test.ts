// `sqlferry pull --recover committed|rolled-back` as a user meets it: a pull interrupted after
// writing its pending record, then a schema change by another program, leaves schema_version
// at neither value the record names (recover-pull.ts). The pull refuses with one sentence and
// exit 1; answered rightly, the replica ends as an uninterrupted pull leaves it, and its next
// push brings nothing the hub's other replica did not already have. Answered wrongly: a pull
// that committed, taken for rolled back, loses and doubles nothing; one that rolled back, taken
// for committed, is refused while schema_version is below the COMMIT's (it only grows).
import { describe, it, expect } from 'vitest';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { EXIT } from '../../src/errors/index.ts';
import { hasPendingPull } from '../../src/repo/pull-recovery/pending-pull.ts';
import type { Assumption } from '../../src/repo/pull-recovery/recover-pull.ts';
import type { Replica } from '../../src/repo/replica.ts';
import { verify } from '../../src/repo/verify.ts';
import { cloneReplica, commitAll, firstReplica, newHub, pullCutAfterCommit, pullWith, pushTo, rows, sql, tempDir } from './helpers.ts';
import { cliWith } from '../repo/helpers.ts';

const SCHEMA = "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, 'three');";

const cli = (db: string, ...args: string[]) => cliWith({ SQLFERRY_BUSY_TIMEOUT_MS: '200' }, dirname(db), '--db', db, ...args);

/**
 * b's pull of a's entry (an insert, an update, a delete) stopped with its pending record
 * written and its COMMIT done (`committed`: the sidecar update fails after it) or not
 * (`rolled-back`: an application's open read transaction keeps the COMMIT waiting past the
 * busy timeout); then the application adds a table and a row.
 */
async function undecided(outcome: Assumption): Promise<{ hub: string; a: Replica; b: Replica; hubEntry: string }> {
  const dir = tempDir('sqlferry-recover-cli-');
  const hub = await newHub(dir);
  const a = await firstReplica(dir, hub, SCHEMA);
  const b = await cloneReplica(dir, hub, 'b');
  sql(a.paths.db, "INSERT INTO t VALUES (4, 'four'); UPDATE t SET v = 'ONE' WHERE id = 1; DELETE FROM t WHERE id = 2;");
  commitAll(a);
  await pushTo(a, hub);
  if (outcome === 'committed') {
    await pullCutAfterCommit(b, hub, 1);
  } else {
    const reader = new DatabaseSync(b.paths.db);
    try {
      reader.exec('BEGIN');
      reader.prepare('SELECT count(*) FROM t').get();
      expect(cli(b.paths.db, 'pull')).toMatchObject({ status: EXIT.locked, stderr: expect.stringMatching(/^error: .* is locked by another program/) });
    } finally {
      reader.close();
    }
  }
  expect(hasPendingPull(b.paths)).toBe(true);
  expect(rows(b.paths.db, 't').some((r) => r.v === 'four')).toBe(outcome === 'committed');
  sql(b.paths.db, "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes VALUES (1, 'by the app'); INSERT INTO t VALUES (10, 'b');");
  return { hub, a, b, hubEntry: a.entry(1).meta.sha256 };
}

const EXPECTED = [{ id: 1, v: 'ONE' }, { id: 3, v: 'three' }, { id: 4, v: 'four' }, { id: 10, v: 'b' }];

/** b as an uninterrupted pull and a commit of the app's changes leave it; a the same after b's push and a pull. */
async function expectRecovered(hub: string, a: Replica, b: Replica, hubEntry: string): Promise<void> {
  expect(hasPendingPull(b.paths)).toBe(false);
  expect(verify(b)).toMatchObject({ ok: true });
  expect(rows(b.paths.db, 't')).toEqual(EXPECTED);
  expect(rows(b.paths.db, 'notes')).toEqual([{ id: 1, body: 'by the app' }]);
  expect(b.seqs()).toEqual([1, 2]); // the hub's entry, then the application's changes
  expect(b.entry(1).meta.sha256).toBe(hubEntry);
  await pushTo(b, hub);
  await pullWith(a, hub);
  expect(rows(a.paths.db, 't')).toEqual(EXPECTED);
  expect(rows(a.paths.db, 'notes')).toEqual([{ id: 1, body: 'by the app' }]);
}

function expectRefused(r: ReturnType<typeof cli>, stderr: Array<RegExp | string>): void {
  expect(r.status).toBe(EXIT.failure);
  expect(r.stdout).toBe('');
  expect(r.stderr.split('\n')).toEqual([...stderr.map((line) => (typeof line === 'string' ? line : expect.stringMatching(line))), '']);
}

describe('pull --recover', () => {
  for (const outcome of ['committed', 'rolled-back'] as const) {
    it(`an interrupted pull that ${outcome === 'committed' ? 'committed' : 'rolled back'}: refused with one sentence until told${outcome === 'rolled-back' ? ' (and when told wrongly)' : ''}, then finished by --recover ${outcome}`, async () => {
      const { hub, a, b, hubEntry } = await undecided(outcome);
      const before = JSON.stringify(rows(b.paths.db, 't'));
      expectRefused(cli(b.paths.db, 'pull'), [
        /^error: an interrupted pull cannot tell whether it reached .*b\.db: another program changed the schema since$/,
        'hint: check whether the rows the hub sent are in the database, then run `sqlferry pull --recover committed` or `--recover rolled-back`',
      ]);
      // The wrong answer for a pull that rolled back: schema_version is still below the COMMIT's.
      if (outcome === 'rolled-back') {
        expectRefused(cli(b.paths.db, 'pull', '--recover', 'committed'), [
          /^error: an interrupted pull cannot have reached .*b\.db: its schema_version is \d+, below the \d+ the pull's COMMIT left$/,
          'hint: run `sqlferry pull --recover rolled-back`',
        ]);
      }
      expect(JSON.stringify(rows(b.paths.db, 't'))).toBe(before);
      expect(hasPendingPull(b.paths)).toBe(true);

      const recovered = cli(b.paths.db, 'pull', '--recover', outcome);
      expect(recovered).toMatchObject({ status: 0, stderr: '' });
      expect(recovered.stdout).toBe(outcome === 'committed' ? 'Already up to date (hub at 1).\n' : 'Pulled 1 entry; hub at 1; local changes rebased as commit 2.\n');
      await expectRecovered(hub, a, b, hubEntry);
    });
  }

  it('a pull that committed, told it rolled back: the hub rows already in the database are neither lost nor doubled, one conflict says so', async () => {
    const { hub, a, b, hubEntry } = await undecided('committed');
    // Its rows are taken for local changes and rebased onto themselves: the update meets the hub's
    // identical one, a conflict whose sides agree (the delete and the insert pass quietly).
    const r = cli(b.paths.db, 'pull', '--recover', 'rolled-back');
    expect(r.status).toBe(EXIT.conflicts);
    expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^conflict #1: data on t \{"id":1\}: the hub's version was kept/)]);
    await expectRecovered(hub, a, b, hubEntry);
  });
});
