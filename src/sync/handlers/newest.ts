// `newest:COLUMN`: the version with the greater value in COLUMN (an updated_at, a version
// number) wins. SQLite's own ordering decides (NULL < numbers < text < blobs); a tie keeps the
// hub's version, so every replica decides the same way.
import { DatabaseSync } from 'node:sqlite';
import { SqlferryError, EXIT } from '../../errors/index.ts';
import type { JsValue } from '../../changeset/value.ts';
import type { ConflictContext, NamedHandler, Resolution } from './types.ts';

const compareDb = new DatabaseSync(':memory:');
const compare = compareDb.prepare('SELECT CASE WHEN ?1 > ?2 THEN 1 WHEN ?1 < ?2 THEN -1 ELSE 0 END AS c');

function sqliteCompare(a: JsValue, b: JsValue): number {
  return Number((compare.get(a, b) as { c: number | bigint }).c);
}

export function newestBy(column: string): NamedHandler {
  return {
    name: `newest:${column}`,
    handle(ctx: ConflictContext): Resolution {
      if (!ctx.columns.includes(column)) {
        throw new SqlferryError('HANDLER_BAD_COLUMN', `newest:${column} cannot decide for table "${ctx.table}": it has no column "${column}"`, {
          exitCode: EXIT.usage,
        });
      }
      const local = ctx.local.new;
      const remote = ctx.kind === 'unique' ? ctx.conflicting : ctx.remote;
      // A deletion carries no value to compare, and a dangling reference is not a question of age.
      if (!local || !remote || ctx.kind === 'foreign-key') return 'take-remote';
      const localValue = column in local ? local[column]! : (ctx.local.old?.[column] ?? null);
      return sqliteCompare(localValue, remote[column] ?? null) > 0 ? 'keep-local' : 'take-remote';
    },
  };
}
