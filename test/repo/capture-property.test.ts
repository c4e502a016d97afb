// Capture is exact: after `commit`, the committed changeset applied (with plain
// node:sqlite) to the old base gives a database whose every table equals the live one.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Replica } from '../../src/repo/replica.ts';
import { commit } from '../../src/repo/capture/commit.ts';
import { status } from '../../src/repo/capture/status.ts';
import { sqlLiteral, quoteIdent } from '../../src/changeset/value.ts';
import type { SqlValue } from '../../src/changeset/types.ts';
import { dumpTables, tempDir } from './helpers.ts';

const KEY_KINDS = ['INTEGER PRIMARY KEY', 'TEXT PRIMARY KEY', 'TEXT COLLATE NOCASE PRIMARY KEY', 'BLOB PRIMARY KEY', 'composite', 'composite-without-rowid'] as const;
const COL_TYPES = ['', 'INTEGER', 'REAL', 'TEXT', 'BLOB', 'TEXT COLLATE NOCASE', 'NUMERIC', 'ANY'];

const value: fc.Arbitrary<SqlValue> = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v) => ({ type: 'integer', value: v }) as SqlValue),
  fc.constantFrom(0n, 1n, 2n ** 53n + 1n, -(2n ** 63n)).map((v) => ({ type: 'integer', value: v }) as SqlValue),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => ({ type: 'real', value: v }) as SqlValue),
  fc.constantFrom(1, 1.5, 0.1 + 0.2).map((v) => ({ type: 'real', value: v }) as SqlValue),
  fc.constantFrom('a', 'A', 'x', 'X', 'é', '').map((s) => ({ type: 'text', value: new TextEncoder().encode(s) }) as SqlValue),
  fc.string({ maxLength: 6 }).map((s) => ({ type: 'text', value: new TextEncoder().encode(s) }) as SqlValue),
  fc.uint8Array({ maxLength: 5 }).map((b) => ({ type: 'text', value: b }) as SqlValue), // often invalid UTF-8
  fc.uint8Array({ maxLength: 5 }).map((b) => ({ type: 'blob', value: b }) as SqlValue),
  fc.constant({ type: 'null' } as SqlValue),
);

const tableSpec = fc.record({
  key: fc.constantFrom(...KEY_KINDS),
  cols: fc.array(fc.constantFrom(...COL_TYPES), { minLength: 1, maxLength: 3 }),
  unique: fc.boolean(),
});

type Op =
  | { op: 'insert'; t: number; vals: SqlValue[] }
  | { op: 'update'; t: number; row: number; col: number; v: SqlValue }
  | { op: 'delete'; t: number; row: number }
  | { op: 'rekey'; t: number; row: number; v: SqlValue }
  | { op: 'swap'; t: number; a: number; b: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('insert' as const), t: fc.nat(5), vals: fc.array(value, { minLength: 5, maxLength: 5 }) }),
  fc.record({ op: fc.constant('update' as const), t: fc.nat(5), row: fc.nat(20), col: fc.nat(3), v: value }),
  fc.record({ op: fc.constant('delete' as const), t: fc.nat(5), row: fc.nat(20) }),
  fc.record({ op: fc.constant('rekey' as const), t: fc.nat(5), row: fc.nat(20), v: value }),
  fc.record({ op: fc.constant('swap' as const), t: fc.nat(5), a: fc.nat(20), b: fc.nat(20) }),
);

function ddl(i: number, spec: { key: (typeof KEY_KINDS)[number]; cols: string[]; unique: boolean }): string {
  const cols = spec.cols.map((type, j) => `c${j} ${type}${j === 0 && spec.unique ? ' UNIQUE' : ''}`);
  if (spec.key.startsWith('composite')) {
    return `CREATE TABLE t${i}(k1 TEXT, k2 INTEGER, ${cols.join(', ')}, PRIMARY KEY(k2, k1))${spec.key.endsWith('rowid') ? ' WITHOUT ROWID' : ''}`;
  }
  return `CREATE TABLE t${i}(k ${spec.key}, ${cols.join(', ')})`;
}

function run(db: DatabaseSync, sql: string): void {
  try {
    db.exec(sql);
  } catch {
    // constraint failures and type mismatches are part of random editing
  }
}

function columnsOf(db: DatabaseSync, t: string): string[] {
  return (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(t) as Array<{ name: string }>).map((r) => r.name);
}

function applyOp(db: DatabaseSync, tables: number, o: Op): void {
  const t = `t${o.t % tables}`;
  const cols = columnsOf(db, t);
  const keyCols = cols.filter((c) => c.startsWith('k'));
  const rowWhere = (n: number) => `(${keyCols.join(', ')}) IN (SELECT ${keyCols.join(', ')} FROM ${t} ORDER BY 1 LIMIT 1 OFFSET ${n})`;
  switch (o.op) {
    case 'insert':
      return run(db, `INSERT INTO ${t}(${cols.map(quoteIdent).join(', ')}) VALUES (${cols.map((_, i) => sqlLiteral(o.vals[i % o.vals.length]!)).join(', ')})`);
    case 'update': {
      const plain = cols.filter((c) => !c.startsWith('k'));
      return run(db, `UPDATE ${t} SET ${plain[o.col % plain.length]} = ${sqlLiteral(o.v)} WHERE ${rowWhere(o.row)}`);
    }
    case 'delete':
      return run(db, `DELETE FROM ${t} WHERE ${rowWhere(o.row)}`);
    case 'rekey':
      return run(db, `UPDATE ${t} SET ${keyCols[0]} = ${sqlLiteral(o.v)} WHERE ${rowWhere(o.row)}`);
    case 'swap': {
      // Two rows trade their c0 values (UNIQUE or not) in one transaction, through a NULL.
      const a = `(SELECT c0 FROM ${t} WHERE ${rowWhere(o.a)})`;
      const b = `(SELECT c0 FROM ${t} WHERE ${rowWhere(o.b)})`;
      return run(db, `BEGIN; CREATE TEMP TABLE s AS SELECT ${a} AS a, ${b} AS b; UPDATE ${t} SET c0 = NULL WHERE ${rowWhere(o.a)}; UPDATE ${t} SET c0 = (SELECT a FROM s) WHERE ${rowWhere(o.b)}; UPDATE ${t} SET c0 = (SELECT b FROM s) WHERE c0 IS NULL AND ${rowWhere(o.a)}; DROP TABLE s; COMMIT`);
    }
  }
}

describe('commit captures exactly what changed', () => {
  it('random schemas and edits: the changeset turns the old base into the live database', () => {
    fc.assert(
      fc.property(
        fc.array(tableSpec, { minLength: 1, maxLength: 6 }),
        fc.array(opArb, { minLength: 10, maxLength: 40 }),
        fc.array(opArb, { minLength: 1, maxLength: 40 }),
        (specs, seedOps, editOps) => {
          const dir = tempDir();
          const path = join(dir, 'live.db');
          const db = new DatabaseSync(path);
          specs.forEach((s, i) => db.exec(ddl(i, s)));
          for (const o of seedOps) applyOp(db, specs.length, o);
          const replica = Replica.init(path);
          for (const o of editOps) applyOp(db, specs.length, o);
          if (db.isTransaction) db.exec('ROLLBACK');
          db.close();
          const oldBase = join(dir, 'old-base.db');
          new DatabaseSync(replica.paths.base).exec(`VACUUM INTO '${oldBase}'`);
          const entry = commit(replica);
          const target = new DatabaseSync(oldBase);
          if (entry !== null) {
            for (const s of entry.schema) target.exec(s);
            const ok = target.applyChangeset(replica.entry(entry.seq).bytes);
            expect(ok).toBe(true);
          }
          target.close();
          expect(dumpTables(oldBase)).toEqual(dumpTables(path));
          expect(dumpTables(replica.paths.base)).toEqual(dumpTables(path));
          expect(status(replica).clean).toBe(true);
        },
      ),
      { numRuns: 80 },
    );
  });
});
