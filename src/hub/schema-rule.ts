// The schema statements an entry may carry: exactly the forms sqlferry's capture writes
// (src/repo/schema/schema-diff.ts), one statement each, on the main database. An entry is data
// from a hub that any writer may have filled, so a statement is read here as data: its
// leading keywords name what it does, and anything else refuses the whole entry. A replica
// then runs each one under SQLite's authorizer (src/repo/schema/schema-guard.ts), which enforces
// the same verdict on what SQLite itself compiled; this file is the check a hub can make
// without a database.
import { SqlferryError, EXIT } from '../errors/index.ts';
import { tokenize, type Token } from './sql-tokens.ts';

export type SchemaStatementKind =
  | 'create-table' | 'create-virtual-table' | 'create-index' | 'create-view' | 'create-trigger'
  | 'add-column' | 'drop-table' | 'drop-index' | 'drop-view' | 'drop-trigger';

export interface SchemaStatement {
  kind: SchemaStatementKind;
  /** The object created, altered or dropped. */
  name: string;
  /** For a virtual table: its module. */
  module?: string;
  /** For an index created: the table it is on. */
  table?: string;
}

/** Virtual-table modules SQLite ships whose tables hold only data: no module reaches files or code. */
export const VIRTUAL_TABLE_MODULES: ReadonlySet<string> = new Set(['fts3', 'fts4', 'fts5', 'rtree', 'rtree_i32']);
export const MAX_STATEMENT_CHARS = 1 << 20;
export const MAX_STATEMENTS = 10_000;

/** Why a statement is not one sqlferry runs; thrown by classifySchemaStatement. */
export class SchemaRuleViolation extends Error {}

const CREATABLE: Record<string, SchemaStatementKind> = { TABLE: 'create-table', INDEX: 'create-index', VIEW: 'create-view', TRIGGER: 'create-trigger' };
const DROPPABLE: Record<string, SchemaStatementKind> = { TABLE: 'drop-table', INDEX: 'drop-index', VIEW: 'drop-view', TRIGGER: 'drop-trigger' };

/** What `sql` does, if it is one of the forms allowed; throws SchemaRuleViolation otherwise. */
export function classifySchemaStatement(sql: string): SchemaStatement {
  if (sql.length > MAX_STATEMENT_CHARS) throw new SchemaRuleViolation(`longer than ${MAX_STATEMENT_CHARS} characters`);
  const tokens = tokenize(sql);
  if (tokens === undefined) throw new SchemaRuleViolation('a string, quoted name or comment is not closed');
  const r = new Reader(tokens);
  const verb = r.word();
  let statement: SchemaStatement;
  if (verb === 'CREATE') {
    let what = r.word();
    if (what === 'TEMP' || what === 'TEMPORARY') throw new SchemaRuleViolation('it creates a TEMP object');
    const virtual = what === 'VIRTUAL';
    if (what === 'UNIQUE' || virtual) {
      const next = r.word();
      if (next !== (virtual ? 'TABLE' : 'INDEX')) throw new SchemaRuleViolation(`CREATE ${what} ${next ?? ''} is not a form sqlferry writes`);
      what = next;
    }
    const kind = what === undefined ? undefined : CREATABLE[what];
    if (kind === undefined) throw new SchemaRuleViolation(`CREATE ${what ?? ''} is not a form sqlferry writes`);
    r.optional('IF', 'NOT', 'EXISTS');
    const name = r.name();
    if (virtual) {
      if (r.word() !== 'USING') throw new SchemaRuleViolation('CREATE VIRTUAL TABLE without USING');
      const module = r.name().toLowerCase();
      if (!VIRTUAL_TABLE_MODULES.has(module)) throw new SchemaRuleViolation(`virtual-table module "${module}" is not one sqlferry runs`);
      statement = { kind: 'create-virtual-table', name, module };
    } else {
      if (kind === 'create-table' && !r.isPunct('(')) throw new SchemaRuleViolation('CREATE TABLE without a column list (AS SELECT copies data)');
      if (kind === 'create-index' && r.word() !== 'ON') throw new SchemaRuleViolation('CREATE INDEX without ON');
      statement = kind === 'create-index' ? { kind, name, table: r.name() } : { kind, name };
    }
    r.endOfStatement(kind === 'create-trigger');
  } else if (verb === 'ALTER') {
    if (r.word() !== 'TABLE') throw new SchemaRuleViolation('ALTER other than ALTER TABLE');
    const name = r.name();
    if (r.word() !== 'ADD') throw new SchemaRuleViolation('ALTER TABLE other than ADD COLUMN');
    statement = { kind: 'add-column', name };
    r.endOfStatement(false);
  } else if (verb === 'DROP') {
    const what = r.word();
    const kind = what === undefined ? undefined : DROPPABLE[what];
    if (kind === undefined) throw new SchemaRuleViolation(`DROP ${what ?? ''} is not a form sqlferry writes`);
    r.optional('IF', 'EXISTS');
    statement = { kind, name: r.name() };
    if (!r.atEnd()) throw new SchemaRuleViolation('text after the dropped name');
  } else {
    throw new SchemaRuleViolation(`a ${verb ?? 'blank'} statement is not a schema change sqlferry writes`);
  }
  return statement;
}

/** Refuse the whole list when any statement is not allowed; `where` names the entry in the message. */
export function checkSchemaStatements(statements: readonly string[], where: string): void {
  if (statements.length > MAX_STATEMENTS) throw refused(where, '', `more than ${MAX_STATEMENTS} statements`, 0);
  statements.forEach((sql, index) => {
    try {
      classifySchemaStatement(sql);
    } catch (err) {
      if (!(err instanceof SchemaRuleViolation)) throw err;
      throw refused(where, sql, err.message, index);
    }
  });
}

export function refused(where: string, sql: string, reason: string, index: number): SqlferryError {
  const shown = sql.length > 120 ? `${sql.slice(0, 117)}...` : sql;
  return new SqlferryError('SCHEMA_STATEMENT_REFUSED', `${where} carries a schema statement sqlferry does not run (${reason}): ${JSON.stringify(shown)}; nothing was applied`, {
    data: { where, statement: sql.slice(0, 1000), index, reason },
    exitCode: EXIT.corrupt,
    hint: 'a schema statement from a hub may only create, alter (ADD COLUMN) or drop tables, indexes, views and triggers of the main database; the entry was not written by sqlferry, or was altered',
  });
}

class Reader {
  private i = 0;
  private readonly tokens: Token[];
  constructor(tokens: Token[]) {
    this.tokens = tokens;
  }

  word(): string | undefined {
    const t = this.tokens[this.i];
    if (t?.kind !== 'word') return undefined;
    this.i++;
    return t.upper;
  }

  /** Consume `words` if they all follow, in order. */
  optional(...words: string[]): void {
    if (words.every((w, k) => this.tokens[this.i + k]?.kind === 'word' && this.tokens[this.i + k]!.upper === w)) this.i += words.length;
  }

  isPunct(p: string): boolean {
    const t = this.tokens[this.i];
    return t?.kind === 'punct' && t.text === p;
  }

  /** A name, optionally qualified by the main schema; any other schema is refused. */
  name(): string {
    const first = this.plainName();
    if (!this.isPunct('.')) return first;
    this.i++;
    if (first.toLowerCase() !== 'main') throw new SchemaRuleViolation(`it names the schema "${first}"; only main is allowed`);
    return this.plainName();
  }

  private plainName(): string {
    const t = this.tokens[this.i];
    if (t === undefined || (t.kind !== 'word' && t.kind !== 'quoted' && t.kind !== 'string')) throw new SchemaRuleViolation('a name is missing');
    this.i++;
    return t.text;
  }

  atEnd(): boolean {
    while (this.isPunct(';')) this.i++;
    return this.i >= this.tokens.length;
  }

  /**
   * The rest is one statement: no `;` before the end, except inside a trigger's BEGIN … END
   * (CASE … END nests inside it). What follows the trigger's END is only `;`.
   */
  endOfStatement(trigger: boolean): void {
    let inBody = false;
    let depth = 0;
    for (; this.i < this.tokens.length; this.i++) {
      const t = this.tokens[this.i]!;
      if (t.kind === 'word' && trigger) {
        if (t.upper === 'BEGIN' && !inBody) inBody = true;
        else if (t.upper === 'CASE' && inBody) depth++;
        else if (t.upper === 'END' && inBody && depth > 0) depth--;
        else if (t.upper === 'END' && inBody) {
          this.i++;
          if (!this.atEnd()) throw new SchemaRuleViolation('more than one statement');
          return;
        }
      } else if (t.kind === 'punct' && t.text === ';' && !inBody) {
        if (!this.atEnd()) throw new SchemaRuleViolation('more than one statement');
        return;
      }
    }
    if (trigger) throw new SchemaRuleViolation('a trigger without BEGIN … END');
  }
}
