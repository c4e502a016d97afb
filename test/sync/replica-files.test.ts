// A replica's own JSON files: state.json (where it stands against its hub) and config.json (the
// user's to edit). Each field is checked when read, so a damaged or mistyped file stops a sync in
// one sentence instead of steering it wrong or crashing it.
import { describe, it, expect } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sidecarPaths } from '../../src/repo/sidecar.ts';
import { cli } from '../repo/helpers.ts';
import { rows, sql, tempDir } from './helpers.ts';

type Mistake = [what: string, edit: (value: Record<string, unknown>) => unknown, why: string];

function replicaWithHub(dir: string): string {
  const app = join(dir, 'app.db');
  sql(app, "CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO item VALUES (1, 'one');");
  for (const args of [['init', 'app.db'], ['init', '--bare', 'hub'], ['remote', 'add', 'origin', './hub'], ['sync']]) {
    const r = cli(dir, ...args);
    expect(r.status, r.stderr).toBe(0);
  }
  return app;
}

/** The hub's rows, as a fresh clone (in a folder of its own) gets them. */
function hubRows(dir: string, name: string): ReturnType<typeof rows> {
  mkdirSync(join(dir, name));
  const r = cli(dir, 'clone', './hub', `${name}/app.db`);
  expect(r.status, r.stderr).toBe(0);
  return rows(join(dir, name, 'app.db'), 'item');
}

/**
 * Each mistake written into `file` in turn: sync refuses with `status` and one sentence naming the
 * file and the field, pushes nothing; the file put back, the next sync goes on.
 */
function refusesEach(file: (app: string) => string, mistakes: Mistake[], status: number, says: (path: string, why: string) => string): void {
  const dir = tempDir();
  const app = replicaWithHub(dir);
  const path = file(app);
  const good = readFileSync(path, 'utf8');
  sql(app, "INSERT INTO item VALUES (2, 'two')");
  for (const [what, edit, why] of mistakes) {
    writeFileSync(path, JSON.stringify(edit(JSON.parse(good))));
    const r = cli(dir, 'sync');
    expect(r.status, what).toBe(status);
    expect(r.stderr, what).toContain(says(path, why));
    expect(r.stderr, what).not.toContain('bug');
    writeFileSync(path, good);
  }
  expect(hubRows(dir, 'before')).toHaveLength(1);
  const again = cli(dir, 'sync');
  expect(again.status, again.stderr).toBe(0);
  expect(hubRows(dir, 'after')).toEqual(rows(app, 'item'));
}

describe('state.json', () => {
  it('damaged: sync refuses each in one sentence, exit 6, pushes nothing; the file put back, it goes on', () => {
    refusesEach((app) => sidecarPaths(app).state, [
      ['hubSeq as a string', (s) => ({ ...s, hubSeq: String(s.hubSeq) }), 'hubSeq is not a whole number ≥ 0'],
      ['hubSeq below zero', (s) => ({ ...s, hubSeq: -1 }), 'hubSeq is not a whole number ≥ 0'],
      ['hubTip not a sha256', (s) => ({ ...s, hubTip: [s.hubTip] }), 'hubTip is not a sha256'],
      ['hubId a number', (s) => ({ ...s, hubId: 7 }), 'hubId is neither a string nor null'],
      ['genesisSeq a fraction', (s) => ({ ...s, genesisSeq: 1.5 }), 'genesisSeq is not a whole number ≥ 0'],
      ['an array', (s) => [s], 'it is not a JSON object'],
    ], 6, (path, why) => `${path} is damaged: ${why}`);
  });

  it('keeps a field a later version wrote through a sync that rewrites the file', () => {
    const dir = tempDir();
    const app = replicaWithHub(dir);
    const { state } = sidecarPaths(app);
    const before = JSON.parse(readFileSync(state, 'utf8'));
    writeFileSync(state, JSON.stringify({ ...before, laterField: { kept: true } }));
    sql(app, "INSERT INTO item VALUES (2, 'two')");
    const r = cli(dir, 'sync');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(state, 'utf8'))).toMatchObject({ hubSeq: before.hubSeq + 1, laterField: { kept: true } });
  });
});

describe('config.json', () => {
  it('mistyped: sync says which field, exit 2, pushes nothing; put right, it goes on', () => {
    refusesEach((app) => sidecarPaths(app).config, [
      ['a remote URL as a number', (c) => ({ ...c, remotes: { origin: 5 } }), 'remote "origin" has no URL (a non-empty string)'],
      ['remotes as a list', (c) => ({ ...c, remotes: ['./hub'] }), 'remotes is not an object of names and URLs'],
      ['an unknown format', (c) => ({ ...c, format: 'diff' }), 'format is neither "changeset" nor "patchset"'],
      ['replicaId a number', (c) => ({ ...c, replicaId: 7 }), 'replicaId is not a non-empty string'],
      ['a later version', (c) => ({ ...c, version: 2 }), 'version is 2, and this sqlferry reads version 1'],
      ['conflictHandlers a number', (c) => ({ ...c, conflictHandlers: [5] }), 'conflictHandlers is neither a rule nor a list of rules (strings)'],
    ], 2, (path, why) => `${path} is not valid: ${why}`);
  });
});
