// The custom-handler contract: the context a module receives, and each kind of answer.
import { describe, it, expect } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { collide, rows, tempDir } from './helpers.ts';

const SCHEMA = `
  CREATE TABLE item(id INTEGER PRIMARY KEY, sku TEXT UNIQUE, qty INT, note TEXT);
  INSERT INTO item VALUES (1, 'A-1', 5, 'start');`;

function handlerModule(dir: string, body: string): string {
  const path = join(dir, 'handler.mjs');
  writeFileSync(path, body);
  return './handler.mjs';
}

describe('custom conflict handlers', () => {
  it('receive the full context and may return a merged row', async () => {
    const dir = tempDir();
    const mod = handlerModule(dir, `
      export const seen = [];
      export default function (ctx) {
        globalThis.__sqlferrySeen = ctx;
        return { row: { ...ctx.remote, qty: ctx.remote.qty + ctx.local.new.qty - ctx.local.old.qty, note: 'merged' } };
      }`);
    const { b, result } = await collide(dir, SCHEMA, 'UPDATE item SET qty = 7 WHERE id = 1', 'UPDATE item SET qty = 2 WHERE id = 1', [mod]);
    const ctx = (globalThis as { __sqlferrySeen?: unknown }).__sqlferrySeen;
    expect(ctx).toEqual({
      kind: 'data', table: 'item', columns: ['id', 'sku', 'qty', 'note'], primaryKey: { id: 1n },
      local: { op: 'UPDATE', old: { id: 1n, sku: 'A-1', qty: 5n, note: 'start' }, new: { id: 1n, sku: 'A-1', qty: 2n, note: 'start' } },
      remote: { id: 1n, sku: 'A-1', qty: 7n, note: 'start' },
      uniqueColumns: [], conflicting: null,
    });
    // 5 → 7 on the hub, 5 → 2 here: the handler adds both deltas.
    expect(rows(b.paths.db, 'item')).toEqual([{ id: 1, sku: 'A-1', qty: 4, note: 'merged' }]);
    expect(result.conflicts[0]).toMatchObject({ resolution: 'merged', discarded: 'both', handler: mod });
  });

  it('names the UNIQUE columns and the hub row for a unique conflict, and may give a new key', async () => {
    const dir = tempDir();
    const mod = handlerModule(dir, `
      export function handle(ctx) {
        globalThis.__sqlferryUnique = { kind: ctx.kind, uniqueColumns: ctx.uniqueColumns, conflicting: ctx.conflicting };
        return ctx.kind === 'unique' ? 'skip' : { newKey: { id: 100n } };
      }`);
    const { b } = await collide(dir, SCHEMA, "INSERT INTO item VALUES (2, 'B-2', 1, 'hub')", "INSERT INTO item VALUES (2, 'B-3', 9, 'mine')", [mod]);
    expect(rows(b.paths.db, 'item').map((r) => [r.id, r.sku])).toEqual([[1, 'A-1'], [2, 'B-2'], [100, 'B-3']]);
    const unique = await collide(tempDir(), SCHEMA, "INSERT INTO item VALUES (2, 'B-2', 1, 'hub')", "INSERT INTO item VALUES (3, 'B-2', 9, 'mine')", [`${dir}/handler.mjs`]);
    expect((globalThis as { __sqlferryUnique?: unknown }).__sqlferryUnique).toEqual({ kind: 'unique', uniqueColumns: ['sku'], conflicting: { id: 2n, sku: 'B-2', qty: 1n, note: 'hub' } });
    expect(rows(unique.b.paths.db, 'item').map((r) => r.id)).toEqual([1, 2]);
    expect(unique.result.conflicts[0]).toMatchObject({ kind: 'unique', resolution: 'skip', discarded: 'local' });
  });

  it('may answer keep-local or take-remote, and each side ends as they said', async () => {
    for (const [answer, qty, discarded] of [['keep-local', 2, 'remote'], ['take-remote', 7, 'local']] as const) {
      const dir = tempDir();
      const mod = handlerModule(dir, `export default () => '${answer}';`);
      const { b, result } = await collide(dir, SCHEMA, 'UPDATE item SET qty = 7 WHERE id = 1', 'UPDATE item SET qty = 2 WHERE id = 1', [mod]);
      expect(rows(b.paths.db, 'item')).toEqual([{ id: 1, sku: 'A-1', qty, note: 'start' }]);
      expect(result.conflicts[0]).toMatchObject({ kind: 'data', resolution: answer, discarded });
    }
  });

  it('abort the pull with its message when they throw, applying nothing', async () => {
    const dir = tempDir();
    const mod = handlerModule(dir, `export default () => { throw new Error('ask Carol first'); }`);
    await expect(collide(dir, SCHEMA, 'UPDATE item SET qty = 7', 'UPDATE item SET qty = 2', [mod])).rejects.toMatchObject({
      code: 'HANDLER_FAILED',
      message: expect.stringMatching(/ask Carol first; nothing was applied/),
    });
    expect(rows(join(dir, 'b.db'), 'item')[0]).toMatchObject({ qty: 2 });
  });

  it('abort the pull when they return nonsense', async () => {
    const dir = tempDir();
    const mod = handlerModule(dir, `export default () => 'whatever'`);
    await expect(collide(dir, SCHEMA, 'UPDATE item SET qty = 7', 'UPDATE item SET qty = 2', [mod])).rejects.toMatchObject({ code: 'HANDLER_INVALID_RESULT' });
    expect(rows(join(dir, 'b.db'), 'item')[0]).toMatchObject({ qty: 2 });
  });

  it('may not give a key a local change uses: the moved row would meet that change', async () => {
    const dir = tempDir();
    const mod = handlerModule(dir, `export default (ctx) => ({ newKey: { id: ctx.primaryKey.id + 1n } });`);
    await expect(collide(dir, SCHEMA, "INSERT INTO item VALUES (2, 'B-2', 1, 'hub')", "INSERT INTO item VALUES (2, 'B-3', 9, 'mine'), (3, 'B-4', 9, 'mine too')", [mod])).rejects.toMatchObject({
      code: 'HANDLER_INVALID_RESULT',
      message: expect.stringMatching(/a local change uses that key too; nothing was applied/),
    });
    expect(rows(join(dir, 'b.db'), 'item').map((r) => r.id)).toEqual([1, 2, 3]);
  });

  it('say which rule is wrong when a handler name is unknown', async () => {
    await expect(collide(tempDir(), SCHEMA, 'UPDATE item SET qty = 7', 'UPDATE item SET qty = 2', ['item=newestt'])).rejects.toMatchObject({
      code: 'HANDLER_RULE_INVALID', exitCode: 2,
    });
  });
});
