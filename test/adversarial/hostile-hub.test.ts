// A hub is written by many parties, one of which may be hostile or broken. Entries planted
// straight into a folder hub (as anyone with write access to it, or a hub that skips its own
// checks, could) must be refused by every replica with a clear sentence and exit 6, leaving
// the replica as it was, the hub still usable, and nothing written outside the two folders.
import { existsSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/hub/checksum.ts';
import { parseChangeset, writeChangeset } from '../../src/changeset/index.ts';
import { textValue } from '../../src/changeset/value.ts';
import { metaName } from '../../src/hub/folder/layout.ts';
import { tempDir as syncTempDir, cloneReplica, commitAll, firstReplica, newHub, pushTo, rows, sql } from '../sync/helpers.ts';
import { cli } from '../repo/helpers.ts';
import { isSuspect } from '../../src/repo/sidecar-stamp.ts';
import { rmSync } from 'node:fs';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = syncTempDir('sqlferry-hostile-');
  dirs.push(d);
  return d;
}

const SCHEMA = "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'one'), (2, 'two')";

/** A hub with two entries from replica a, and replica b cloned at entry 1 (so it has one to pull). */
async function setup() {
  const dir = tempDir();
  const hub = await newHub(dir);
  const a = await firstReplica(dir, hub, SCHEMA);
  sql(a.paths.db, "INSERT INTO t VALUES (3, 'three')");
  commitAll(a);
  await pushTo(a, hub);
  const b = await cloneReplica(dir, hub, 'b');
  sql(a.paths.db, "UPDATE t SET v = 'uno' WHERE id = 1");
  commitAll(a);
  return { dir, hub, a, b };
}

function entryMeta(hub: string, seq: number): Record<string, unknown> {
  return JSON.parse(readFileSync(join(hub, 'log', metaName(seq)), 'utf8')) as Record<string, unknown>;
}

/** Write entry `seq` into the folder hub as a hostile writer would: bytes and metadata, sha256 made to match. */
function plant(hub: string, meta: Record<string, unknown>, bytes: Uint8Array): void {
  const file = `${metaName(meta.seq as number).slice(0, -5)}.planted.changeset`;
  writeFileSync(join(hub, 'log', file), bytes);
  writeFileSync(join(hub, 'log', metaName(meta.seq as number)), JSON.stringify({ ...meta, sha256: sha256(bytes), size: bytes.length, file }));
}

function lastEntry(hub: string): { meta: Record<string, unknown>; bytes: Uint8Array } {
  const names = readdirSync(join(hub, 'log')).filter((n) => /^\d+\.json$/.test(n)).sort();
  const meta = JSON.parse(readFileSync(join(hub, 'log', names.at(-1)!), 'utf8')) as Record<string, unknown>;
  return { meta, bytes: readFileSync(join(hub, 'log', meta.file as string)) };
}

describe('a hostile hub entry', () => {
  it('cannot attach a file or run SQL through its schema statements', async () => {
    const { dir, hub, b } = await setup();
    const outside = join(dir, 'planted.db');
    const next = { ...entryMeta(hub, 1), seq: 2, parent: entryMeta(hub, 1).sha256 as string };
    for (const schema of [[`ATTACH '${outside}' AS x`, 'CREATE TABLE x.y(a)'], ['DELETE FROM t', 'CREATE TRIGGER r AFTER INSERT ON t BEGIN DELETE FROM t; END']]) {
      plant(hub, { ...next, schema, digest: undefined }, new Uint8Array());
      const before = rows(b.paths.db, 't');
      const r = cli(dir, 'pull', '--db', b.paths.db);
      expect(r.status).toBe(6);
      expect(r.stderr).toMatch(/error: hub entry 2 carries a schema statement sqlferry does not run/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(rows(b.paths.db, 't')).toEqual(before);
      expect(existsSync(outside)).toBe(false);
    }
    expect(cli(dir, 'verify', '--db', b.paths.db).status).toBe(0);
  });

  it('is refused when its bytes do not add up to the content digest it claims', async () => {
    const { dir, hub, a, b } = await setup();
    await pushTo(a, hub); // entry 2: id 1 becomes 'uno'
    const honest = lastEntry(hub);
    // The same change made to another row: a valid changeset that applies, checksum recomputed, claim kept.
    const { changes } = parseChangeset(honest.bytes);
    expect(changes).toHaveLength(1);
    changes[0]!.old![0] = { type: 'integer', value: 2n };
    changes[0]!.old![1] = textValue('two');
    plant(hub, honest.meta, writeChangeset('changeset', changes));
    const before = rows(b.paths.db, 't');
    const r = cli(dir, 'pull', '--db', b.paths.db);
    expect(r.stderr).toMatch(/error: hub entry 2 does not match the content digest it claims \(table "t"\)/);
    expect(r.status).toBe(6);
    expect(rows(b.paths.db, 't')).toEqual(before);
    expect(cli(dir, 'verify', '--db', b.paths.db).status).toBe(0);
  });

  it('cannot plant a doctored snapshot for clones', async () => {
    const { dir, hub, a } = await setup();
    await pushTo(a, hub);
    // A snapshot at the head with an extra row: its content no longer matches entry 2's digest.
    const doctored = join(dir, 'doctored.db');
    sql(doctored, `${SCHEMA}; UPDATE t SET v = 'uno' WHERE id = 1; INSERT INTO t VALUES (3, 'three'), (66, 'planted'); CREATE TABLE sqlferry_base(seq INTEGER); INSERT INTO sqlferry_base VALUES (2)`);
    const bytes = readFileSync(doctored);
    const file = `${metaName(2).slice(0, -5)}.planted.db`;
    writeFileSync(join(hub, 'snapshots', file), bytes);
    writeFileSync(join(hub, 'snapshots', metaName(2)), JSON.stringify({ seq: 2, sha256: sha256(bytes), size: bytes.length, replica: 'x', time: '', file }));
    const target = join(dir, 'clone.db');
    const r = cli(dir, 'clone', hub, target);
    expect(r.stderr).toMatch(/error: the hub's snapshot at 2 does not hold what its log says \(table "t"\)/);
    expect(r.status).toBe(6);
    expect(existsSync(target)).toBe(false);
    expect(existsSync(`${target}.sqlferry`)).toBe(false);
  });
});

describe('a hub file longer than its metadata says', () => {
  it('is read one byte past its size and refused, never whole into memory', async () => {
    const { dir, hub, a, b } = await setup();
    await pushTo(a, hub);
    const { meta } = lastEntry(hub);
    const size = meta.size as number;
    // 3 GiB, sparse (no disk used): read whole it would take 3 GiB of memory, or fail as a bug.
    truncateSync(join(hub, 'log', meta.file as string), 3 * 2 ** 30);
    const before = rows(b.paths.db, 't');
    const r = cli(dir, 'pull', '--db', b.paths.db);
    expect(r.stderr).toMatch(new RegExp(`^error: hub entry 2 does not match its checksum \\(expected ${size} bytes, got ${size + 1} bytes\\)`));
    expect(r.status).toBe(6);
    // Its metadata file grown the same way: refused as damaged, not read whole.
    truncateSync(join(hub, 'log', metaName(2)), 3 * 2 ** 30);
    const m = cli(dir, 'pull', '--db', b.paths.db);
    expect(m.stderr).toMatch(/^error: \S+00000000000000000002\.json is not valid sqlferry hub metadata/);
    expect(m.stderr).not.toMatch(/looks like a bug|\n\s+at /);
    expect(m.status).toBe(6);
    expect(rows(b.paths.db, 't')).toEqual(before);
  });
});

describe('a hub written by an older sqlferry', () => {
  it('keeps working: entries without a content digest are accepted, and -v says so', async () => {
    const { dir, hub, a, b } = await setup();
    await pushTo(a, hub);
    const { digest, ...older } = entryMeta(hub, 2);
    expect(digest).toMatchObject({ t: expect.stringMatching(/^[0-9a-f]{64}$/) });
    writeFileSync(join(hub, 'log', metaName(2)), JSON.stringify(older));
    const r = cli(dir, 'pull', '-v', '--db', b.paths.db);
    expect(r.stderr).toContain('1 pulled entry carried no content digest (written by an older sqlferry): accepted without that check.');
    expect(r.status).toBe(0);
    expect(rows(b.paths.db, 't')).toEqual(rows(a.paths.db, 't'));
    expect(cli(dir, 'verify', '--db', b.paths.db).status).toBe(0);
  });
});

describe('a damaged replica', () => {
  it('is suspect once its base snapshot changed behind sqlferry, until verify finds it right', async () => {
    const { dir, b } = await setup();
    expect(isSuspect(b.paths)).toBe(false); // a fresh clone: nothing to check before its first push
    expect(cli(dir, 'status', '--db', b.paths.db).status).toBe(0);
    expect(isSuspect(b.paths)).toBe(false);
    sql(b.paths.base, 'PRAGMA user_version = 7'); // a write that changes no content
    expect(cli(dir, 'status', '--db', b.paths.db).status).toBe(0);
    expect(isSuspect(b.paths)).toBe(true);
    expect(cli(dir, 'status', '--db', b.paths.db).status).toBe(0);
    expect(isSuspect(b.paths)).toBe(true); // a later command does not launder it
    expect(cli(dir, 'verify', '--db', b.paths.db).status).toBe(0);
    expect(isSuspect(b.paths)).toBe(false);
  });

  it('keeps its stamp as it is when a command leaves the sidecar as it was, and still notices a change after', async () => {
    const { dir, b } = await setup();
    expect(cli(dir, 'status', '--db', b.paths.db).status).toBe(0);
    const stamp = JSON.parse(readFileSync(b.paths.stamp, 'utf8')) as unknown;
    writeFileSync(b.paths.stamp, JSON.stringify(stamp, null, 1)); // the same stamp, laid out as sqlferry never writes it
    expect(cli(dir, 'status', '--db', b.paths.db).status).toBe(0);
    expect(readFileSync(b.paths.stamp, 'utf8')).toBe(JSON.stringify(stamp, null, 1)); // not written again
    sql(b.paths.base, 'PRAGMA user_version = 7');
    expect(cli(dir, 'status', '--db', b.paths.db).status).toBe(0);
    expect(isSuspect(b.paths)).toBe(true);
  });

  it('does not push once its base snapshot was changed behind its back', async () => {
    const { dir, hub, a } = await setup();
    const head = () => readdirSync(join(hub, 'log')).filter((n) => /^\d+\.json$/.test(n)).length;
    const before = head();
    sql(join(a.paths.dir, 'base.db'), "UPDATE t SET v = 'tampered' WHERE id = 2");
    sql(a.paths.db, "INSERT INTO t VALUES (4, 'four')");
    expect(cli(dir, 'verify', '--db', a.paths.db).status).toBe(6);
    const r = cli(dir, 'sync', '--db', a.paths.db);
    expect(r.stdout + r.stderr).toMatch(/error: this replica's base snapshot no longer matches its log \(table "t"\)/);
    expect(r.status).toBe(6);
    expect(head()).toBe(before);
  });
});
