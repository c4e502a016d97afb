// Damaged and forged changesets where sqlferry applies them: applyChecked on a real database,
// the CLI (`apply`, `changeset dump|sql|invert|concat`), and a pull from a folder hub that holds
// one as its next entry (bytes and metadata written straight into the folder, the sha256
// matching, as anyone with write access to the hub could). However a file is damaged: no exit
// by a signal, no stack trace, nothing over 10 s, the documented exit code (6 for what the codec
// refuses), and a failed apply or pull leaves the database as it was.
// SQLFERRY_FUZZ_LONG=1 runs the long version (docs/ACCEPTANCE.md).
import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import fc from 'fast-check';
import {
  concatChangesets, invertChangeset, iterateChanges, renderJson, renderSql, validateChangeset,
} from '../../src/changeset/index.ts';
import { ChangesetFormatError, SqlferryError } from '../../src/errors/index.ts';
import { metaName } from '../../src/hub/folder/layout.ts';
import { applyChecked, withApplyTransaction } from '../../src/repo/apply/apply.ts';
import { Replica } from '../../src/repo/replica.ts';
import { chooseHandlers } from '../../src/sync/handlers/index.ts';
import { pull } from '../../src/sync/pull.ts';
import { closeSeeds, fuzzSeeds, LONG, type FuzzSeed } from '../changeset/helpers/fuzz-seeds.ts';
import { mutate, mutationArb } from '../changeset/helpers/mutate.ts';
import type { Scenario } from '../changeset/helpers/scenario.ts';
import { contents } from '../changeset/helpers/sqlite.ts';
import { runOps, schemaSql } from '../changeset/helpers/workload.ts';
import { CRASHER } from '../changeset/helpers/issue-11.ts';
import { addRemote } from '../../src/sync/remotes.ts';
import { cloneReplica, newHub, pushTo, withRemote } from '../sync/helpers.ts';
import { BIN, tempDir } from './helpers.ts';

const seeds = fuzzSeeds(12, 23);
afterAll(() => closeSeeds(seeds));
const runs = { apply: LONG ? 100_000 : 3000, cliFiles: LONG ? 300 : 12, pulls: LONG ? 2000 : 120, cliPulls: LONG ? 30 : 3 };

/** The codec's verdict, which every path must give first: undefined when the file is well-formed. */
function refusal(bytes: Uint8Array, kind?: 'changeset' | 'patchset'): ChangesetFormatError | undefined {
  try {
    validateChangeset(bytes, kind);
    return undefined;
  } catch (e) {
    if (e instanceof ChangesetFormatError) return e;
    throw e;
  }
}

const samples = (n: number, seed: number) => fc.sample(fc.tuple(fc.nat({ max: seeds.length - 1 }), mutationArb), { numRuns: n, seed });

describe('applyChecked on a real database, fuzzed', () => {
  it(`refuses what the codec refuses, applies or refuses the rest cleanly, and changes nothing when it refuses (${runs.apply.toLocaleString('en')} mutations)`, () => {
    const dbs = new Map(seeds.map((s) => [s.scenario, s.scenario.openBefore()]));
    const pristine = new Map([...dbs].map(([s, db]) => [s, contents(db)]));
    const UNDO = new Error('undo');
    const outcomes: Record<string, number> = {};
    let slowest = 0;
    let count = 0;
    fc.assert(
      fc.property(fc.nat({ max: seeds.length - 1 }), mutationArb, fc.boolean(), (i, m, expectKind) => {
        const seed = seeds[i]!;
        const db = dbs.get(seed.scenario)!;
        const bytes = mutate(seed.bytes, m);
        const kind = expectKind ? seed.kind : undefined;
        const start = performance.now();
        let outcome = 'applied';
        try {
          withApplyTransaction(db, ':memory:', () => {
            applyChecked(db, bytes, kind);
            throw UNDO; // every attempt starts from the same rows
          });
        } catch (e) {
          if (e !== UNDO) {
            if (!(e instanceof SqlferryError)) throw e;
            outcome = e.code;
          }
        }
        slowest = Math.max(slowest, performance.now() - start);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        const refused = refusal(bytes, kind);
        if (refused) expect(outcome, refused.message).toBe('CHANGESET_MALFORMED');
        else expect(['applied', 'APPLY_CONFLICT', 'SCHEMA_MISMATCH', 'APPLY_REFUSED']).toContain(outcome);
        if (++count % 97 === 0) expect(contents(db)).toBe(pristine.get(seed.scenario));
      }),
      { numRuns: runs.apply, seed: LONG ? Date.now() : 3 },
    );
    if (LONG) console.log(`applyChecked fuzz: ${count} mutations, ${JSON.stringify(outcomes)}, slowest ${slowest.toFixed(1)} ms`);
    for (const [s, db] of dbs) expect(contents(db)).toBe(pristine.get(s));
    // Each way out was taken: the fuzz reaches SQLite, not only the codec.
    expect(outcomes['CHANGESET_MALFORMED']).toBeGreaterThan(runs.apply / 10);
    expect(outcomes['applied']).toBeGreaterThan(runs.apply / 20);
    expect(outcomes['APPLY_CONFLICT']).toBeGreaterThan(0);
    expect(outcomes['SCHEMA_MISMATCH']).toBeGreaterThan(0);
    expect(slowest).toBeLessThan(10_000);
  }, LONG ? 3_600_000 : 60_000);
});

interface Exit {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The CLI, killed after 10 s: a hang shows as a signal. */
function sqlferry(cwd: string, ...args: string[]): Exit {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 10_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** No signal, no stack trace, the exit code expected; the CLI's own words when not. */
function expectClean(r: Exit, allowed: number[], what: string): void {
  const said = `${what}: exit ${r.status}, signal ${r.signal}\n${r.stderr}`;
  expect(r.signal, said).toBeNull();
  expect(r.stderr, said).not.toMatch(/^ {4}at /m);
  expect(allowed, said).toContain(r.status);
}

/** A replica whose database is a seed's `before` state. */
function replicaOf(dir: string, seed: FuzzSeed, name: string): string {
  const path = join(dir, name);
  const db = new DatabaseSync(path);
  db.exec(schemaSql(seed.tables));
  runOps(db, seed.tables, seed.setup);
  db.close();
  Replica.init(path);
  return path;
}

function rowsOf(path: string): string {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return contents(db);
  } finally {
    db.close();
  }
}

describe('the CLI on damaged files', () => {
  it("refuses issue 11's 74-byte file with one sentence and exit 6, changing nothing", () => {
    const dir = tempDir();
    const db = join(dir, 't.db');
    const raw = new DatabaseSync(db);
    raw.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES(1, 'old')");
    raw.close();
    Replica.init(db);
    writeFileSync(join(dir, 'crash.changeset'), CRASHER);
    const r = sqlferry(dir, 'apply', 'crash.changeset', '--db', 't.db');
    expectClean(r, [6], 'apply');
    expect(r.stderr.split('\n')[0]).toBe('error: crash.changeset: table "t" appears again with 8 columns, after 2 at byte offset 28');
    expect(new DatabaseSync(db, { readOnly: true }).prepare('SELECT v FROM t').all()).toEqual([{ v: 'old' }]);
  });

  it(`apply and changeset dump|sql|invert|concat give the documented exit code for ${runs.cliFiles} damaged files`, () => {
    const dir = tempDir();
    const dbs = new Map<Scenario, string>();
    const commands = ['dump', 'sql', 'invert', 'concat'] as const;
    samples(runs.cliFiles, 5).forEach(([i, m], n) => {
      const seed = seeds[i]!;
      let db = dbs.get(seed.scenario);
      if (db === undefined) dbs.set(seed.scenario, (db = replicaOf(dir, seed, `s${dbs.size}.db`)));
      const bytes = mutate(seed.bytes, m);
      const file = join(dir, `m${n}.${seed.kind}`);
      writeFileSync(file, bytes);
      // The replica moves on with every file that applies: the next ones meet other rows, which is fine.
      expectClean(sqlferry(dir, 'apply', file, '--db', db), refusal(bytes) ? [6] : [0, 1], `apply ${file}`);
      const command = commands[n % commands.length]!;
      const args = command === 'concat' ? [file, file] : [file];
      expectClean(sqlferry(dir, 'changeset', command, ...args, ...(command === 'dump' || command === 'sql' ? [] : ['-o', `${file}.out`])), [codecExit(command, bytes)], `changeset ${command} ${file}`);
    });
  }, LONG ? 3_600_000 : 120_000);
});

/** What the codec answers in-process, as an exit code: the CLI must answer the same. */
function codecExit(command: 'dump' | 'sql' | 'invert' | 'concat', bytes: Uint8Array): number {
  try {
    if (command === 'dump') for (const c of iterateChanges(bytes)) renderJson(c);
    else if (command === 'sql') for (const _ of renderSql(iterateChanges(bytes)));
    else if (command === 'invert') invertChangeset(bytes);
    else {
      for (const _ of iterateChanges(bytes));
      concatChangesets([bytes, bytes]);
    }
    return 0;
  } catch (e) {
    if (e instanceof SqlferryError) return e.exitCode;
    throw e;
  }
}

describe('a pull from a folder hub holding a damaged entry', () => {
  /** A hub whose genesis is the seed's `before` state, and a replica cloned from it that pulls. */
  async function hubFor(seed: FuzzSeed, dir: string) {
    const hub = await newHub(dir, seed.kind);
    const a = Replica.open(replicaOf(dir, seed, 'a.db'));
    addRemote(a, 'origin', hub);
    await pushTo(a, hub);
    await cloneReplica(dir, hub, 'b');
    const genesis = JSON.parse(readFileSync(join(hub, 'snapshots', metaName(0)), 'utf8')) as { sha256: string };
    return { hub, parent: genesis.sha256, rows: rowsOf(join(dir, 'b.db')) };
  }

  /** Entry 1, as a forger with write access to the folder would put it: its sha256 matches. */
  function plant(hub: string, kind: string, parent: string, bytes: Uint8Array): void {
    const log = join(hub, 'log');
    for (const name of readdirSync(log)) if (name.startsWith(metaName(1).replace('.json', '')) || name === 'head') rmSync(join(log, name));
    const file = `${metaName(1).replace('.json', '')}.fuzz.${kind}`;
    writeFileSync(join(log, file), bytes);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(join(log, metaName(1)), JSON.stringify({ seq: 1, parent, replica: 'fuzz', time: new Date().toISOString(), message: 'fuzz', schema: [], kind, sha256, size: bytes.length, file }));
  }

  it(`refuses what the codec refuses with exit 6 and leaves the replica as it was (${runs.pulls} pulls in-process, ${runs.cliPulls} by the CLI)`, async () => {
    const handlers = await chooseHandlers([]);
    const outcomes: Record<string, number> = {};
    // One hub per kind: a changeset hub and a patchset hub, each from its own scenario.
    const kinds = await Promise.all((['changeset', 'patchset'] as const).map(async (kind) => {
      const index = seeds.findIndex((s) => s.kind === kind);
      const dir = tempDir();
      return { index, dir, ...(await hubFor(seeds[index]!, dir)) };
    }));
    const total = runs.pulls + runs.cliPulls;
    for (const [n, m] of fc.sample(mutationArb, { numRuns: total, seed: 9 }).entries()) {
      const setup = kinds[n % 2]!;
      const seed = seeds[setup.index]!;
      const bytes = mutate(seed.bytes, m);
      plant(setup.hub, seed.kind, setup.parent, bytes);
      const work = join(setup.dir, `pull-${n}`);
      cpSync(join(setup.dir, 'b.db'), join(work, 'b.db'));
      cpSync(join(setup.dir, 'b.db.sqlferry'), join(work, 'b.db.sqlferry'), { recursive: true });
      const refused = refusal(bytes, seed.kind);
      let code = 'pulled';
      if (n < runs.pulls) {
        const start = performance.now();
        try {
          await withRemote(setup.hub, (r) => pull(Replica.open(join(work, 'b.db')), r, { handlers }));
        } catch (e) {
          if (!(e instanceof SqlferryError)) throw e;
          code = e.code;
          expect(e.exitCode, e.message).toBe(6);
        }
        expect(performance.now() - start).toBeLessThan(10_000);
      } else {
        const r = sqlferry(work, 'pull', '--db', 'b.db');
        expectClean(r, refused ? [6] : [0, 6], 'pull');
        if (r.status !== 0) code = /^error: hub entry 1 is not a valid/.test(r.stderr) ? 'HUB_ENTRY_CORRUPT' : /^error: hub entry 1 does not apply to this replica/.test(r.stderr) ? 'REPLICA_DIVERGED' : r.stderr;
      }
      outcomes[code] = (outcomes[code] ?? 0) + 1;
      if (refused) expect(code, refused.message).toBe('HUB_ENTRY_CORRUPT');
      else expect(['pulled', 'REPLICA_DIVERGED']).toContain(code);
      if (code !== 'pulled') expect(rowsOf(join(work, 'b.db'))).toBe(setup.rows);
      rmSync(work, { recursive: true, force: true });
    }
    if (LONG) console.log(`pull fuzz: ${total} pulls, ${JSON.stringify(outcomes)}`);
    expect(outcomes['HUB_ENTRY_CORRUPT']).toBeGreaterThan(total / 10);
    expect(outcomes['pulled']).toBeGreaterThan(0);
  }, LONG ? 3_600_000 : 120_000);
});
