// Schema statements from an entry are data: only the forms sqlferry writes run, on the main
// database, and SQLite's authorizer holds them to what their leading keywords say.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkSchemaStatements, classifySchemaStatement, SchemaRuleViolation } from '../../src/hub/schema-rule.ts';
import { runSchemaStatements } from '../../src/repo/schema/schema-guard.ts';
import { SqlferryError } from '../../src/errors/index.ts';
import { tempDir } from './helpers.ts';

function database(): DatabaseSync {
  const db = new DatabaseSync(':memory:');
  db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b'); CREATE TABLE u(a, b)");
  return db;
}

const schemaOf = (db: DatabaseSync) => JSON.stringify(db.prepare('SELECT type, name, sql FROM sqlite_schema ORDER BY name').all());
const rowsOf = (db: DatabaseSync) => JSON.stringify(db.prepare('SELECT * FROM t ORDER BY id').all());

function refusal(fn: () => void): SqlferryError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SqlferryError);
    return err as SqlferryError;
  }
  throw new Error('expected a refusal');
}

const allowed = [
  "CREATE TABLE x(a INTEGER PRIMARY KEY, b TEXT DEFAULT (lower('A')) CHECK (length(b) < 9))",
  'CREATE TABLE IF NOT EXISTS "we;ird"(a)',
  "CREATE TABLE 'g_data'(id INTEGER PRIMARY KEY, block BLOB)",
  'CREATE UNIQUE INDEX i ON t(lower(v)) WHERE v > \'a\'',
  'CREATE VIEW vv AS SELECT id, upper(v) FROM t JOIN u ON a = id',
  "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO u VALUES (new.id, CASE WHEN new.v = ';' THEN 1 ELSE 2 END); DELETE FROM u WHERE a IS NULL; END",
  "ALTER TABLE u ADD COLUMN c TEXT DEFAULT 'x'",
  'CREATE VIRTUAL TABLE f USING fts5(body)',
  'CREATE TABLE main.y(a);',
  'DROP TRIGGER tr', 'DROP VIEW vv', 'DROP INDEX i', 'DROP TABLE main.y', 'DROP TABLE IF EXISTS f',
];

describe('schema statements from an entry', () => {
  it('runs every form sqlferry writes, in order', () => {
    const db = database();
    runSchemaStatements(db, allowed, 'hub entry 3');
    const names = (db.prepare("SELECT name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
    expect(names).toEqual(['g_data', 't', 'u', 'we;ird', 'x']);
    expect((db.prepare('SELECT sql FROM sqlite_schema WHERE name = ?').get('u') as { sql: string }).sql).toContain('c TEXT');
  });

  // Refused by the keyword check alone (what a hub can check without a database), unless marked.
  const compiledOnly = new Set(["CREATE INDEX i ON t(load_extension('/tmp/evil'))"]);
  const attacks: Array<[string, RegExp]> = [
    ["ATTACH '/tmp/x.db' AS x", /ATTACH/],
    ['DETACH x', /DETACH/],
    ['DELETE FROM t', /DELETE/],
    ["INSERT INTO t VALUES (9, 'z')", /INSERT/],
    ["UPDATE t SET v = 'z'", /UPDATE/],
    ['PRAGMA writable_schema = 1', /PRAGMA/],
    ['VACUUM', /VACUUM/],
    ["SELECT load_extension('/tmp/evil')", /SELECT/],
    ['CREATE TEMP TABLE q(a)', /TEMP/],
    ['CREATE TEMPORARY VIEW q AS SELECT 1', /TEMP/],
    ['CREATE TABLE temp.q(a)', /schema "temp"/],
    ['CREATE TABLE x.q(a)', /schema "x"/],
    ['CREATE TABLE q AS SELECT * FROM t', /AS SELECT/],
    ['CREATE TABLE q(a); DELETE FROM t', /more than one statement/],
    ['CREATE TABLE q(a) /* ; */; DROP TABLE t', /more than one statement/],
    ["CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END; DELETE FROM t; CREATE TRIGGER tr2 AFTER INSERT ON t BEGIN SELECT 1; END", /more than one statement/],
    ['CREATE VIRTUAL TABLE v USING fts3tokenize(simple)', /module/],
    ["CREATE INDEX i ON t(load_extension('/tmp/evil'))", /load_extension/],
    ['ALTER TABLE t RENAME TO t2', /ADD COLUMN/],
    ['ALTER TABLE t DROP COLUMN v', /ADD COLUMN/],
    ['DROP TABLE t; DELETE FROM u', /text after/],
    ["CREATE TABLE q(a DEFAULT 'unclosed)", /not closed/],
    ['', /blank/],
  ];

  it.each(attacks)('refuses %s before SQLite runs it, changing nothing', (sql, reason) => {
    const db = database();
    const before = [schemaOf(db), rowsOf(db)];
    const err = refusal(() => runSchemaStatements(db, ["CREATE TABLE ok(a)", sql], 'hub entry 7'));
    expect(err.code).toBe('SCHEMA_STATEMENT_REFUSED');
    expect(err.exitCode).toBe(6);
    expect(err.message).toMatch(/^hub entry 7 carries a schema statement sqlferry does not run/);
    expect(`${err.message} ${String(err.data.reason)}`).toMatch(reason);
    // The statement before it ran (the caller's transaction undoes it); the refused one did nothing.
    expect(rowsOf(db)).toBe(before[1]);
    if (!compiledOnly.has(sql)) expect(refusal(() => checkSchemaStatements([sql], 'hub entry 7')).code).toBe('SCHEMA_STATEMENT_REFUSED');
  });

  it('creates no file for an ATTACH however it is dressed', () => {
    const dir = tempDir();
    const target = join(dir, 'planted.db');
    const db = database();
    for (const sql of [`ATTACH '${target}' AS x`, `CREATE TABLE a(x); ATTACH '${target}' AS x`, `CREATE VIEW v AS SELECT 1; ATTACH DATABASE '${target}' AS x`]) {
      refusal(() => runSchemaStatements(db, [sql], 'hub entry 1'));
    }
    expect(existsSync(target)).toBe(false);
  });

  it('holds a statement to what its keywords say, by the authorizer as well', () => {
    // The keyword check alone cannot know an index's expression calls a forbidden function;
    // SQLite's compilation of it does.
    const db = database();
    const err = refusal(() => runSchemaStatements(db, ["CREATE INDEX i ON t(v) WHERE fts3_tokenizer('simple') IS NOT NULL"], 'hub entry 2'));
    expect(err.data.reason).toMatch(/fts3_tokenizer/);
    expect(classifySchemaStatement("CREATE INDEX i ON t(v) WHERE fts3_tokenizer('simple') IS NOT NULL").kind).toBe('create-index');
  });

  it('never lets a random statement through the keyword check with more than one statement in it', () => {
    const piece = fc.constantFrom('CREATE TABLE a(x)', 'DELETE FROM t', "ATTACH 'x' AS y", 'DROP TABLE t', 'SELECT 1', "CREATE TRIGGER r AFTER INSERT ON t BEGIN SELECT 1; END");
    fc.assert(fc.property(fc.array(piece, { minLength: 2, maxLength: 4 }), fc.constantFrom(';', ' ;\n', '; -- c\n'), (parts, sep) => {
      const sql = parts.join(sep);
      expect(() => classifySchemaStatement(sql)).toThrow(SchemaRuleViolation);
    }));
  });
});
