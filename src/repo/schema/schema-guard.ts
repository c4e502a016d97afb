// Running an entry's schema statements: each must pass the schema rule (src/hub/schema-rule.ts)
// and then, compiled by SQLite under an authorizer, may only do what that rule named — create,
// alter or drop that one object in the main database. So what SQLite would really run is
// checked, not just how the text starts: no ATTACH, PRAGMA, DML, other schema, extension
// loading, or a second statement hidden after the first.
import { constants as C, type DatabaseSync } from 'node:sqlite';
import { classifySchemaStatement, refused, SchemaRuleViolation, VIRTUAL_TABLE_MODULES, type SchemaStatement } from '../../hub/schema-rule.ts';
import { tokenize } from '../../hub/sql-tokens.ts';

/** Functions a schema statement must never name: they reach files, pointers or native code. */
const FORBIDDEN_FUNCTIONS = new Set(['load_extension', 'fts3_tokenizer', 'readfile', 'writefile', 'edit', 'fts5_source_id']);

const SCHEMA_TABLES = new Set(['sqlite_master', 'sqlite_schema']);

const CREATE_ACTION: Partial<Record<SchemaStatement['kind'], number>> = {
  'create-table': C.SQLITE_CREATE_TABLE,
  'create-index': C.SQLITE_CREATE_INDEX,
  'create-view': C.SQLITE_CREATE_VIEW,
  'create-trigger': C.SQLITE_CREATE_TRIGGER,
  'create-virtual-table': C.SQLITE_CREATE_VTABLE,
  'drop-table': C.SQLITE_DROP_TABLE,
  'drop-index': C.SQLITE_DROP_INDEX,
  'drop-view': C.SQLITE_DROP_VIEW,
  'drop-trigger': C.SQLITE_DROP_TRIGGER,
};

/** Run `statements` in order on `db`; the first one refused throws SCHEMA_STATEMENT_REFUSED (`where` names the entry). */
export function runSchemaStatements(db: DatabaseSync, statements: readonly string[], where: string): void {
  statements.forEach((sql, index) => {
    let statement: SchemaStatement;
    try {
      statement = classifySchemaStatement(sql);
    } catch (err) {
      if (err instanceof SchemaRuleViolation) throw refused(where, sql, err.message, index);
      throw err;
    }
    let denied: string | undefined;
    db.setAuthorizer((action, arg1, arg2, dbName) => {
      const why = deniedAction(statement, action, arg1, arg2, dbName);
      if (why !== undefined) denied ??= why;
      return why === undefined ? C.SQLITE_OK : C.SQLITE_DENY;
    });
    let prepared;
    try {
      prepared = db.prepare(sql);
    } catch (err) {
      if (denied !== undefined) throw refused(where, sql, denied, index);
      throw err; // an ordinary SQL error (the object exists, a table is missing): the caller's to report
    } finally {
      db.setAuthorizer(null);
    }
    const rest = sql.startsWith(prepared.sourceSQL) ? tokenize(sql.slice(prepared.sourceSQL.length)) : undefined;
    if (rest === undefined || rest.some((t) => t.text !== ';')) throw refused(where, sql, 'more than one statement', index);
    prepared.run();
  });
}

function deniedAction(s: SchemaStatement, action: number, arg1: string | null, arg2: string | null, dbName: string | null): string | undefined {
  if (dbName !== null && dbName !== 'main') return `it reaches the "${dbName}" database`;
  const same = (name: string | null): boolean => name !== null && name.toLowerCase() === s.name.toLowerCase();
  switch (action) {
    case C.SQLITE_READ:
      return undefined; // reading columns to build an index, a CHECK or a view changes nothing
    case C.SQLITE_INSERT:
    case C.SQLITE_UPDATE:
      return arg1 !== null && SCHEMA_TABLES.has(arg1) ? undefined : `it writes rows of "${arg1}"`;
    case C.SQLITE_DELETE:
      if (arg1 !== null && SCHEMA_TABLES.has(arg1)) return undefined;
      return (s.kind === 'drop-table' || s.kind === 'drop-view') && same(arg1) ? undefined : `it deletes rows of "${arg1}"`;
    case C.SQLITE_FUNCTION:
      return arg2 !== null && FORBIDDEN_FUNCTIONS.has(arg2.toLowerCase()) ? `it calls ${arg2}()` : undefined;
    case C.SQLITE_REINDEX:
      return s.kind === 'create-index' ? undefined : 'it rebuilds an index';
    case C.SQLITE_ALTER_TABLE:
      return s.kind === 'add-column' && arg1 === 'main' && same(arg2) ? undefined : 'it alters another table';
    case C.SQLITE_DROP_VTABLE:
      return s.kind === 'drop-table' && same(arg1) ? undefined : 'it drops another virtual table';
    case C.SQLITE_CREATE_INDEX:
      // A table's own PRIMARY KEY / UNIQUE constraints compile to indexes on it.
      if (s.kind === 'create-table' && same(arg2)) return undefined;
      return CREATE_ACTION[s.kind] === action && same(arg1) ? undefined : `it creates an index other than "${s.name}"`;
    default:
      if (action === C.SQLITE_CREATE_VTABLE && (arg2 === null || !VIRTUAL_TABLE_MODULES.has(arg2.toLowerCase()))) {
        return `virtual-table module "${arg2}" is not one sqlferry runs`;
      }
      if (CREATE_ACTION[s.kind] === action && same(arg1)) return undefined;
      return `SQLite compiled it to an action other than the ${s.kind.replaceAll('-', ' ')} of "${s.name}"`;
  }
}
