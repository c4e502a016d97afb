// A replica's own JSON files: state.json (where it stands against its hub) and config.json (the
// user's to edit). Each field is checked when read, so a damaged or mistyped file stops a sync in
// one sentence instead of steering it wrong or crashing it.
import { describe, it, expect } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sidecarPaths } from '../../src/repo/sidecar.ts';
import { cli } from '../repo/helpers.ts';
import { rows, sql, tempDir } from './helpers.ts';

function replicaWithHub(dir: string): string {
  const app = join(dir, 'app.db');
  sql(app, "CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO item VALUES (1, 'one');");
  for (const args of [['init', 'app.db'], ['init', '--bare', 'hub'], ['remote', 'add', 'origin', './hub'], ['sync']]) {
    const r = cli(dir, ...args);
    expect(r.status, r.stderr).toBe(0);
  }
  return app;
}

describe('state.json', () => {
  const damage: Array<[string, (state: Record<string, unknown>) => unknown, string]> = [
    ['hubSeq as a string', (s) => ({ ...s, hubSeq: String(s.hubSeq) }), 'hubSeq is not a whole number ≥ 0'],
    ['hubSeq below zero', (s) => ({ ...s, hubSeq: -1 }), 'hubSeq is not a whole number ≥ 0'],
    ['hubTip not a sha256', (s) => ({ ...s, hubTip: [s.hubTip] }), 'hubTip is not a sha256'],
    ['hubId a number', (s) => ({ ...s, hubId: 7 }), 'hubId is neither a string nor null'],
    ['genesisSeq a fraction', (s) => ({ ...s, genesisSeq: 1.5 }), 'genesisSeq is not a whole number ≥ 0'],
    ['an array', (s) => [s], 'it is not a JSON object'],
  ];

  it.each(damage)('with %s: sync refuses in one sentence, exit 6, pushes nothing; the file put back, it goes on', (_what, edit, why) => {
    const dir = tempDir();
    const app = replicaWithHub(dir);
    const { state } = sidecarPaths(app);
    const good = readFileSync(state, 'utf8');
    writeFileSync(state, JSON.stringify(edit(JSON.parse(good))));
    sql(app, "INSERT INTO item VALUES (2, 'two')");
    const r = cli(dir, 'sync');
    expect(r.status).toBe(6);
    expect(r.stderr).toContain(`${state} is damaged: ${why}`);
    expect(rows(app, 'item')).toHaveLength(2);
    mkdirSync(join(dir, 'before'));
    expect(cli(dir, 'clone', './hub', 'before/app.db').status).toBe(0);
    expect(rows(join(dir, 'before', 'app.db'), 'item')).toHaveLength(1);
    writeFileSync(state, good);
    const again = cli(dir, 'sync');
    expect(again.status, again.stderr).toBe(0);
    mkdirSync(join(dir, 'after'));
    expect(cli(dir, 'clone', './hub', 'after/app.db').status).toBe(0);
    expect(rows(join(dir, 'after', 'app.db'), 'item')).toEqual(rows(app, 'item'));
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
  const mistakes: Array<[string, (config: Record<string, unknown>) => unknown, string]> = [
    ['a remote URL as a number', (c) => ({ ...c, remotes: { origin: 5 } }), 'remote "origin" has no URL (a non-empty string)'],
    ['remotes as a list', (c) => ({ ...c, remotes: ['./hub'] }), 'remotes is not an object of names and URLs'],
    ['an unknown format', (c) => ({ ...c, format: 'diff' }), 'format is neither "changeset" nor "patchset"'],
    ['replicaId a number', (c) => ({ ...c, replicaId: 7 }), 'replicaId is not a non-empty string'],
    ['a later version', (c) => ({ ...c, version: 2 }), 'version is 2, and this sqlferry reads version 1'],
    ['conflictHandlers a number', (c) => ({ ...c, conflictHandlers: [5] }), 'conflictHandlers is neither a rule nor a list of rules (strings)'],
  ];

  it.each(mistakes)('with %s: sync says which field, exit 2, the commit not pushed; put right, it goes on', (_what, edit, why) => {
    const dir = tempDir();
    const app = replicaWithHub(dir);
    const { config } = sidecarPaths(app);
    const good = readFileSync(config, 'utf8');
    writeFileSync(config, JSON.stringify(edit(JSON.parse(good))));
    sql(app, "INSERT INTO item VALUES (2, 'two')");
    const r = cli(dir, 'sync');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${config} is not valid: ${why}`);
    expect(r.stderr).not.toContain('bug');
    writeFileSync(config, good);
    const again = cli(dir, 'sync');
    expect(again.status, again.stderr).toBe(0);
    mkdirSync(join(dir, 'copy'));
    expect(cli(dir, 'clone', './hub', 'copy/app.db').status).toBe(0);
    expect(rows(join(dir, 'copy', 'app.db'), 'item')).toEqual(rows(app, 'item'));
  });
});
