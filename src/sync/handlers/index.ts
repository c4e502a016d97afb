// Choosing a handler per table and per conflict kind. The same rule syntax in config.json
// (`conflictHandlers`) and on the command line (`--conflict-handler`):
//   HANDLER            every table, every kind
//   TABLE=HANDLER      one table          TABLE.KIND=HANDLER   one table, one kind
//   *.KIND=HANDLER     one kind everywhere
// HANDLER is abort | local | remote | newest:COLUMN | rekey | merge-unique | ./path/to/module.mjs
// The most specific rule wins; the command line wins over config; with none, `remote`.
import { SqlferryError, EXIT } from '../../errors/index.ts';
import { abortOnConflict } from './abort.ts';
import { loadCustomHandler } from './custom.ts';
import { localWins } from './local.ts';
import { mergeUnique } from './merge-unique.ts';
import { newestBy } from './newest.ts';
import { rekey } from './rekey.ts';
import { remoteWins } from './remote.ts';
import { CONFLICT_KINDS, type ConflictKind, type NamedHandler } from './types.ts';

export type HandlerChooser = (table: string, kind: ConflictKind) => NamedHandler;

/** A rule with where it came from: module paths resolve against `baseDir`. */
export interface HandlerRule {
  rule: string;
  baseDir: string;
}

const builtIns: Record<string, NamedHandler> = { abort: abortOnConflict, local: localWins, remote: remoteWins, rekey, 'merge-unique': mergeUnique };

export const DEFAULT_HANDLER = remoteWins;

function badRule(rule: string, why: string): SqlferryError {
  return new SqlferryError('HANDLER_RULE_INVALID', `the conflict handler rule ${JSON.stringify(rule)} is not valid: ${why}`, {
    data: { rule },
    exitCode: EXIT.usage,
    hint: 'write HANDLER, TABLE=HANDLER or TABLE.KIND=HANDLER; handlers: abort, local, remote, newest:COLUMN, rekey, merge-unique, ./module.mjs',
  });
}

async function handlerFor(spec: string, rule: HandlerRule): Promise<NamedHandler> {
  const builtIn = builtIns[spec];
  if (builtIn) return builtIn;
  if (spec.startsWith('newest:') && spec.length > 'newest:'.length) return newestBy(spec.slice('newest:'.length));
  if (/\.(m?js|ts)$/.test(spec) || spec.includes('/')) return loadCustomHandler(spec, rule.baseDir);
  throw badRule(rule.rule, `${JSON.stringify(spec)} is no handler sqlferry knows`);
}

/** Splits `TABLE.KIND=HANDLER` into its scope key (`TABLE.KIND`, `TABLE`, `*.KIND` or `*`) and handler. */
function parseRule(rule: string): { scope: string; spec: string } {
  const eq = rule.indexOf('=');
  if (eq < 0) return { scope: '*', spec: rule.trim() };
  const scope = rule.slice(0, eq).trim();
  const spec = rule.slice(eq + 1).trim();
  if (!scope || !spec) throw badRule(rule, 'a side of = is empty');
  // A table name may contain dots: `a.b.unique` scopes table a.b to one kind, `a.b` is table a.b.
  return { scope, spec };
}

/** A scope must name a table the database has (`TABLE`, `TABLE.KIND`), or be `*` / `*.KIND`: a typo would otherwise never apply. */
function checkScope(rule: string, scope: string, tables: ReadonlySet<string>): void {
  if (scope === '*' || tables.has(scope)) return;
  const dot = scope.lastIndexOf('.');
  const [table, kind] = dot < 0 ? [scope, undefined] : [scope.slice(0, dot), scope.slice(dot + 1)];
  if (kind !== undefined && !(CONFLICT_KINDS as readonly string[]).includes(kind)) {
    throw badRule(rule, `${JSON.stringify(kind)} is not a conflict kind (${CONFLICT_KINDS.join(', ')}), and there is no table ${JSON.stringify(scope)}`);
  }
  if (table !== '*' && !tables.has(table)) throw badRule(rule, `the database has no table ${JSON.stringify(table)}`);
}

/** `tables`, when given, are the database's tables: rules naming another table are refused. */
export async function chooseHandlers(rules: readonly HandlerRule[], tables?: ReadonlySet<string>): Promise<HandlerChooser> {
  const byScope = new Map<string, NamedHandler>();
  for (const r of rules) {
    const { scope, spec } = parseRule(r.rule);
    if (tables) checkScope(r.rule, scope, tables);
    byScope.set(scope, await handlerFor(spec, r));
  }
  return (table, kind) =>
    byScope.get(`${table}.${kind}`) ?? byScope.get(table) ?? byScope.get(`*.${kind}`) ?? byScope.get('*') ?? DEFAULT_HANDLER;
}

/** `conflictHandlers` in config.json: a rule string or a list of them. */
export function rulesFromConfig(value: unknown, baseDir: string): HandlerRule[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((rule) => {
    if (typeof rule !== 'string') throw badRule(String(rule), 'config.json conflictHandlers must hold strings');
    return { rule, baseDir };
  });
}
