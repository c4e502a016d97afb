// The digest kernel reads a changeset's records itself (digest-kernel/cells.c, add_records) and
// leaves to digest.ts the records it does not take. On any bytes — SQLite's own changesets,
// the same damaged, random bytes after a table header, keys too long for the kernel, a
// changeset longer than the kernel's window — addChangesetDelta gives what reading every record
// in JavaScript gives (the walk below, as digest.ts read them before), or the same refusal.
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addChangesetDelta, lanesOf, type TableDigests } from '../../src/changeset/digest.ts';
import { CellBatch } from '../../src/changeset/digest-cells.ts';
import { ByteCursor } from '../../src/changeset/cursor.ts';
import { detectKind } from '../../src/changeset/reader.ts';
import { ChangesetFormatError } from '../../src/errors/index.ts';
import { closeSeeds, fuzzSeeds } from './helpers/fuzz-seeds.ts';
import { mutate, mutationArb } from './helpers/mutate.ts';

const INSERT = 0x12, UPDATE = 0x17, DELETE = 0x09;

/** Every record read in JavaScript, its cells sent to the kernel one by one. */
function deltaInJavaScript(bytes: Uint8Array, digests: TableDigests): void {
  if (bytes.length === 0) return;
  if (detectKind(bytes) === 'patchset') throw new ChangesetFormatError('a patchset does not hold the old values its digest change needs', 0);
  const cells = new CellBatch();
  const c = new ByteCursor(bytes);
  let pk: boolean[] | undefined;
  let name = new Uint8Array(0);
  const at: number[] = [];
  const record = (n: number, from: number) => {
    for (let i = 0; i < n; i++) {
      at[from + i] = c.pos;
      c.skipValue(false);
    }
    at[from + n] = c.pos;
  };
  while (c.pos < c.end) {
    const code = bytes[c.pos]!;
    if (code === 0x54 || code === 0x50) {
      const table = c.tableHeader();
      pk = table.pk;
      name = Buffer.from(table.name, 'utf8');
      cells.target(lanesOf(digests, table.name));
      continue;
    }
    if (pk === undefined) throw new ChangesetFormatError('change before any table header', c.pos);
    if (code !== INSERT && code !== UPDATE && code !== DELETE) throw new ChangesetFormatError(`unknown change operation ${code}`, c.pos);
    c.pos += 2;
    const n = pk.length;
    record(n, 0);
    cells.row(name);
    for (let i = 0; i < n; i++) if (pk[i]) cells.keyRaw(bytes, at[i]!, at[i + 1]!);
    if (code !== UPDATE) {
      for (let i = 0; i < n; i++) cells.cellRaw(i, bytes, at[i]!, at[i + 1]!, code === INSERT ? 1 : -1);
      continue;
    }
    record(n, n + 1);
    for (let i = 0; i < n; i++) {
      if (pk[i] || bytes[at[n + 1 + i]!] === 0) continue;
      cells.cellRaw(i, bytes, at[i]!, at[i + 1]!, -1);
      cells.cellRaw(i, bytes, at[n + 1 + i]!, at[n + 2 + i]!, 1);
    }
  }
  cells.finish();
}

/** The lanes of every table, or the refusal, as a string to compare. */
function outcome(add: (bytes: Uint8Array, digests: TableDigests) => void, bytes: Uint8Array): string {
  const digests: TableDigests = new Map();
  try {
    add(bytes, digests);
  } catch (e) {
    if (!(e instanceof ChangesetFormatError)) throw e;
    return `refused: ${e.message}`;
  }
  return [...digests].map(([n, l]) => `${n}=${Buffer.from(l.buffer, l.byteOffset, l.byteLength).toString('hex')}`).join('\n');
}

function same(bytes: Uint8Array): void {
  expect(outcome(addChangesetDelta, bytes)).toBe(outcome(deltaInJavaScript, bytes));
}

/** A changeset of what `edit` does to tables created by `schema`. */
function recorded(schema: string, edit: (db: DatabaseSync) => void): Uint8Array {
  const db = new DatabaseSync(':memory:');
  db.exec(schema);
  const session = db.createSession();
  edit(db);
  const bytes = session.changeset();
  db.close();
  return bytes;
}

describe('the digest kernel reading changeset records', () => {
  it('gives the JavaScript reading or its refusal on SQLite changesets, whole and damaged', () => {
    const seeds = fuzzSeeds(12, 31);
    try {
      for (const s of seeds) same(s.bytes);
      fc.assert(fc.property(fc.nat({ max: seeds.length - 1 }), mutationArb, (i, m) => {
        same(mutate(seeds[i]!.bytes, m));
      }), { numRuns: 400 });
    } finally {
      closeSeeds(seeds);
    }
  });

  it('gives the JavaScript reading or its refusal on random records after a table header', () => {
    const header = fc.record({ pk: fc.array(fc.constantFrom(0, 0, 1, 2), { minLength: 1, maxLength: 4 }), name: fc.constantFrom('t', 'ü', 'x'.repeat(70)) });
    // Mostly well-formed pieces, so that whole records come often, with now and then a wrong one.
    const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
    const piece = fc.oneof(
      { weight: 4, arbitrary: fc.tuple(fc.constantFrom(INSERT, UPDATE, DELETE), fc.nat({ max: 1 })).map((b) => [...b]) },
      { weight: 8, arbitrary: fc.tuple(fc.constantFrom(1, 2), bytes(8)).map(([t, b]) => [t, ...b]) },
      { weight: 8, arbitrary: fc.tuple(fc.constantFrom(3, 4), fc.uint8Array({ maxLength: 70 })).map(([t, b]) => [t, b.length, ...b]) },
      // lengths as varints of more than one byte: padded, of nine bytes, too large, unended
      { weight: 2, arbitrary: fc.constantFrom([3, 0x80, 0x02, 0x61, 0x62], [4, 0x80, 0x80, 0x00], [4, ...Array(8).fill(0x80), 0x81, ...Array(129).fill(5)], [3, 0x87, 0xff, 0xff, 0xff, 0x7f], [4, 0xff, 0xff]) },
      { weight: 6, arbitrary: fc.constantFrom([5], [0]) },
      { weight: 1, arbitrary: fc.constantFrom([6], [0x80], [0xff]) },
      { weight: 1, arbitrary: fc.nat({ max: 255 }).map((b) => [b]) },
    );
    const cut = fc.option(fc.nat(), { nil: undefined });
    fc.assert(fc.property(header, fc.array(piece, { maxLength: 40 }), cut, ({ pk, name }, pieces, at) => {
      const body = pieces.flat();
      same(Uint8Array.from([0x54, pk.length, ...pk, ...Buffer.from(name, 'utf8'), 0, ...body.slice(0, at === undefined ? body.length : at % (body.length + 1))]));
    }), { numRuns: 2000 });
  });

  it('gives the JavaScript reading for keys too long for the kernel and cells past one block', () => {
    same(recorded('CREATE TABLE t(k TEXT PRIMARY KEY, v); CREATE TABLE u(a, b BLOB, c, PRIMARY KEY (c, a))', (db) => {
      for (const n of [1, 40, 59, 60, 61, 64, 200, 1000, 1020, 1030, 5000]) {
        db.prepare('INSERT INTO t VALUES (?, ?)').run('k'.repeat(n), 'v'.repeat(n));
        db.prepare('INSERT INTO u VALUES (?, ?, ?)').run(n, Buffer.alloc(n, 7), 'c'.repeat(n));
      }
      db.exec("UPDATE t SET v = NULL WHERE length(k) < 100; UPDATE u SET b = x'01' WHERE a > 100; DELETE FROM t WHERE length(k) = 1030");
    }));
  });

  it('gives the JavaScript reading for a changeset longer than the kernel reads at once', () => {
    same(recorded('CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)', (db) => {
      const insert = db.prepare('INSERT INTO t VALUES (?, ?)');
      for (let i = 0; i < 3000; i++) insert.run(i, Buffer.alloc(i % 500 === 0 ? 700_000 : 300, i % 251));
    }));
  });
});
