// `sqlferry hub prune`: what killed pushes leave in a folder or SSH hub (bytes no metadata
// names, staged `.tmp-` files) goes once it is old; what a live push may still be writing,
// what the hub publishes and files it does not name stay; the hub still clones and takes pushes.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from '../cli-bin.ts';
import { seqName } from '../../src/hub/naming.ts';
import { pruneHub } from '../../src/sync/prune-hub.ts';
import { pruneFolderHub } from '../../src/hub/folder/prune.ts';
import { metaName } from '../../src/hub/folder/layout.ts';
import { LocalFolderFs } from '../../src/remote/file/folder-fs.ts';
import { startSshd, type TestSshd } from './sshd.ts';

const HOUR = 3_600_000;

function run(cwd: string, ...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function ok(cwd: string, ...args: string[]): string {
  const r = run(cwd, ...args);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

function sqlite3(db: string, sql: string): string {
  return spawnSync('/usr/bin/sqlite3', [db], { input: sql, encoding: 'utf8' }).stdout;
}

/** A folder hub with two entries pushed from replica a.db, made once; each test prunes a copy. */
const template = mkdtempSync(join(tmpdir(), 'sqlferry-prune-hub-'));
beforeAll(() => {
  hubWithTwoEntries(template);
});
afterAll(() => rmSync(template, { recursive: true, force: true }));

function hubCopy(dir: string): string {
  const hub = join(dir, 'hub');
  cpSync(join(template, 'hub'), hub, { recursive: true, preserveTimestamps: true });
  return hub;
}

function hubWithTwoEntries(dir: string): void {
  const db = join(dir, 'a.db');
  const hub = join(dir, 'hub');
  sqlite3(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'one');");
  ok(dir, 'init', db);
  ok(dir, 'init', '--bare', hub);
  ok(dir, '--db', db, 'remote', 'add', 'origin', hub);
  for (const v of ['two', 'three']) {
    sqlite3(db, `INSERT INTO t(v) VALUES ('${v}');`);
    ok(dir, '--db', db, 'commit', '-m', v);
  }
  ok(dir, '--db', db, 'push');
}

/** A file in the hub, last written `ageMs` ago. */
function plant(hub: string, name: string, ageMs: number): string {
  const path = join(hub, name);
  writeFileSync(path, Buffer.alloc(1000, 7));
  const at = (Date.now() - ageMs) / 1000;
  utimesSync(path, at, at);
  return name;
}

/** What killed writers leave, by the layout's names; and what must stay. */
function plantLeftovers(hub: string): { gone: string[]; kept: string[] } {
  const gone = [
    plant(hub, 'log/.tmp-0123456789ab', 2 * HOUR), // a staged metadata file
    plant(hub, `log/${seqName(3)}.aaaaaaaaaaaa.changeset`, 2 * HOUR), // bytes past the head: died before publishing
    plant(hub, `log/${seqName(1)}.bbbbbbbbbbbb.changeset`, 2 * HOUR), // a number another writer won
    plant(hub, `snapshots/${seqName(2)}.cccccccccccc.db`, 2 * HOUR), // a snapshot upload cut short
  ];
  const kept = [
    plant(hub, `log/${seqName(4)}.dddddddddddd.changeset`, 60_000), // a push may still be writing it
    plant(hub, 'log/.tmp-fedcba987654', 60_000),
    plant(hub, 'log/notes.txt', 2 * HOUR), // not a name the layout gives
    plant(hub, `log/${seqName(3)}.changeset`, 2 * HOUR), // not a bytes name (no random part)
  ];
  return { gone, kept };
}

describe('hub prune on a folder hub', () => {
  it('removes old leftovers only, lists them first with --dry-run, and the hub still works', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sqlferry-prune-'));
    try {
      const hub = hubCopy(dir);
      const published = readdirSync(join(hub, 'log')).map((n) => `log/${n}`);
      const { gone, kept } = plantLeftovers(hub);

      const dry = ok(dir, '-v', 'hub', 'prune', hub, '--dry-run', '--json');
      const report = JSON.parse(dry) as { removed: string[]; bytes: number; recent: number };
      expect(report.removed.sort()).toEqual([...gone].sort());
      expect(report.bytes).toBe(4000);
      expect(report.recent).toBe(2);
      expect(gone.filter((n) => !existsSync(join(hub, n)))).toEqual([]);

      const r = run(dir, 'hub', 'prune', hub);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('Removed 4 leftover files (4 kB)');
      expect(r.stdout).toContain('2 written to within 1h kept');
      expect(gone.filter((n) => existsSync(join(hub, n)))).toEqual([]);
      expect([...kept, ...published].filter((n) => !existsSync(join(hub, n)))).toEqual([]);

      // The published entries are whole: a clone replays them, and its next push lands.
      rmSync(join(hub, 'log', `${seqName(4)}.dddddddddddd.changeset`));
      const clone = join(dir, 'c.db');
      ok(dir, 'clone', hub, clone);
      expect(sqlite3(clone, 'SELECT group_concat(v) FROM t ORDER BY id;').trim()).toBe('one,two,three');
      sqlite3(clone, "INSERT INTO t(v) VALUES ('four');");
      ok(dir, '--db', clone, 'sync');
      plant(hub, `log/${seqName(4)}.dddddddddddd.changeset`, 11 * 60_000); // a push killed before publishing
      expect(ok(dir, 'hub', 'prune', hub, '--older-than', '10m')).toContain('Removed 1 leftover file');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps bytes their writer publishes between the listing and the removal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sqlferry-prune-'));
    try {
      // A real third entry, pushed to a second copy: its bytes are a leftover past the head of
      // the first copy until its metadata appears there.
      const hub = hubCopy(dir);
      const ahead = join(dir, 'ahead');
      cpSync(template, ahead, { recursive: true, preserveTimestamps: true });
      ok(ahead, '--db', join(ahead, 'a.db'), 'remote', 'set-url', 'origin', join(ahead, 'hub'));
      sqlite3(join(ahead, 'a.db'), "INSERT INTO t(v) VALUES ('four');");
      ok(ahead, '--db', join(ahead, 'a.db'), 'commit', '-m', 'four');
      ok(ahead, '--db', join(ahead, 'a.db'), 'push');
      const bytes = readdirSync(join(ahead, 'hub', 'log')).find((n) => n.startsWith(`${seqName(3)}.`) && !n.endsWith('.json'))!;
      cpSync(join(ahead, 'hub', 'log', bytes), join(hub, 'log', bytes));
      const at = (Date.now() - 2 * HOUR) / 1000;
      utimesSync(join(hub, 'log', bytes), at, at); // a push stalled past --older-than, then done
      const planted = plant(hub, `log/${seqName(3)}.eeeeeeeeeeee.changeset`, 2 * HOUR);

      class PublishedMeanwhile extends LocalFolderFs {
        override async stat(name: string) {
          const got = await super.stat(name);
          if (name === `log/${bytes}`) cpSync(join(ahead, 'hub', 'log', metaName(3)), join(hub, 'log', metaName(3)));
          return got;
        }
      }
      const fs = new PublishedMeanwhile(hub);
      const report = await pruneFolderHub(fs, 2, { olderThanMs: HOUR, dryRun: false });
      await fs.close();
      expect(report.removed).toEqual([planted]); // the number's bytes another writer left: its metadata names the other file
      expect(existsSync(join(hub, 'log', bytes))).toBe(true);
      const clone = join(dir, 'c.db');
      ok(dir, 'clone', hub, clone);
      expect(sqlite3(clone, 'SELECT group_concat(v) FROM t ORDER BY id;').trim()).toBe('one,two,three,four');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a span it cannot read, and a folder that holds no hub, in one sentence', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sqlferry-prune-'));
    try {
      const hub = join(dir, 'hub');
      ok(dir, 'init', '--bare', hub);
      const bad = run(dir, 'hub', 'prune', hub, '--older-than', 'soon');
      expect(bad.status).toBe(2);
      expect(bad.stderr).toContain('--older-than must be a span such as 90m, 12h or 30d, not "soon"');
      const soon = run(dir, 'hub', 'prune', hub, '--older-than', '0m');
      expect(soon.status).toBe(2);
      expect(soon.stderr).toContain('--older-than must be at least 10m, not 0m: a push still at work may not have published the bytes it wrote yet');
      const stranger = join(dir, 'not-a-hub');
      plant(dir, 'not-a-hub.txt', 0);
      const none = run(dir, 'hub', 'prune', stranger);
      expect(none.status).not.toBe(0);
      expect(none.stderr).toMatch(/no sqlferry hub at/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('hub prune over SSH', () => {
  let sshd: TestSshd;
  beforeAll(async () => {
    sshd = await startSshd();
    process.env.HOME = sshd.home;
  });
  afterAll(() => sshd.stop());

  it('removes the same leftovers as on the folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sqlferry-prune-'));
    try {
      const hub = hubCopy(dir);
      const { gone, kept } = plantLeftovers(hub);
      const report = await pruneHub(`ssh://${sshd.user}@127.0.0.1:${sshd.port}${hub}`, { olderThanMs: HOUR, dryRun: false });
      expect(report.removed.sort()).toEqual([...gone].sort());
      expect(report.recent).toBe(2);
      expect(gone.filter((n) => existsSync(join(hub, n)))).toEqual([]);
      expect(kept.filter((n) => !existsSync(join(hub, n)))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
