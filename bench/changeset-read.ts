// Codec read speed against SQLite's own applyChangeset, side by side on one 1,000,000-row
// changeset: (a) iterateChanges touching every value, (b) node:sqlite applyChangeset into an
// empty database with the same schema. Target: (a) ≤ 0.5 × (b).
// Run: npx node bench/changeset-read.ts [rows]
import { DatabaseSync } from 'node:sqlite';
import { detectKind, iterateChanges, writeChangeset } from '../src/changeset/index.ts';

const rows = Number(process.argv[2] ?? 1_000_000);
const schema = 'CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT, price REAL, qty INTEGER, tag BLOB, note TEXT)';

function buildChangeset(): Uint8Array {
  const db = new DatabaseSync(':memory:');
  db.exec(schema);
  const session = db.createSession();
  db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows})
           INSERT INTO item SELECT i, 'item number ' || i, i * 0.25, i % 1000, randomblob(8), CASE WHEN i % 3 = 0 THEN NULL ELSE 'ok' END FROM n`);
  const bytes = session.changeset();
  db.close();
  return bytes;
}

/** Reads every value; the checksum keeps the work from being optimised away. */
function readAll(bytes: Uint8Array): number {
  let sum = 0;
  for (const change of iterateChanges(bytes)) {
    for (const v of change.new!) {
      if (v.type === 'integer') sum += Number(v.value & 0xffn);
      else if (v.type === 'real') sum += v.value;
      else if (v.type === 'text' || v.type === 'blob') sum += v.value.length;
    }
  }
  return sum;
}

function applyAll(bytes: Uint8Array): void {
  const db = new DatabaseSync(':memory:');
  db.exec(schema);
  if (!db.applyChangeset(bytes)) throw new Error('applyChangeset aborted');
  db.close();
}

function time(f: () => unknown): number {
  const start = performance.now();
  f();
  return performance.now() - start;
}

const bytes = buildChangeset();
console.log(`changeset: ${rows.toLocaleString('en')} rows, ${(bytes.length / 1e6).toFixed(1)} MB`);
readAll(bytes); // warm-up: let the JIT compile the reader before it is timed
const runs = 3;
const read: number[] = [];
const apply: number[] = [];
for (let i = 0; i < runs; i++) {
  read.push(time(() => readAll(bytes)));
  apply.push(time(() => applyAll(bytes)));
}
const best = (xs: number[]): number => Math.min(...xs);
console.log(`(a) iterateChanges, every value: best ${best(read).toFixed(0)} ms of ${read.map((x) => x.toFixed(0)).join(', ')}`);
console.log(`(b) applyChangeset:              best ${best(apply).toFixed(0)} ms of ${apply.map((x) => x.toFixed(0)).join(', ')}`);
// For information: rewriting the whole changeset (read + write), which must give the same bytes.
let rewritten: Uint8Array = new Uint8Array();
const write = time(() => (rewritten = writeChangeset(detectKind(bytes), iterateChanges(bytes))));
if (Buffer.compare(rewritten, bytes) !== 0) throw new Error('rewrite differs from the original');
console.log(`(c) read + writeChangeset:       ${write.toFixed(0)} ms (byte-identical)`);
console.log(`ratio (a)/(b): ${(best(read) / best(apply)).toFixed(2)} (target ≤ 0.50)`);
