// changesOfPieces (src/changeset/piece-changes.ts): the changes of a file cut into pieces, written
// back by ChangesetWriter as an inverse, a patchset or a copy, give the bytes the whole file gives,
// wherever the cuts fall: inside a table (its header copied), just after a header, among tables
// named with no change (sqldiff writes those), and across a table named twice in a row (the
// capture's batches).
import { describe, it, expect } from 'vitest';
import { PieceCutter } from '../../src/changeset/pieces.ts';
import { changesOfPieces, type Piece } from '../../src/changeset/piece-changes.ts';
import { invertChange, iterateChanges, renderJson, writeChangeset, writeChunks } from '../../src/changeset/index.ts';
import type { Change, TableHeader } from '../../src/changeset/types.ts';

const A: TableHeader = { name: 'a', pk: [true, false] };
const B: TableHeader = { name: 'b', pk: [false, true, true], pkIndex: [0, 2, 1] };
const E: TableHeader = { name: 'empty', pk: [true] };

const int = (value: number) => ({ type: 'integer', value: BigInt(value) }) as const;
const text = (value: string) => ({ type: 'text', value: new TextEncoder().encode(value) }) as const;

/** A table's header and `rows` of its changes (inserts, updates, deletes in turn). */
function group(table: TableHeader, rows: number, from: number): Uint8Array {
  const changes: Change[] = [];
  for (let i = from; i < from + rows; i++) {
    const row = table.pk.map((_, c) => (c === 0 ? int(i) : text(`v${i}-${c}-${'x'.repeat(i % 13)}`)));
    const changed = row.map((v, c) => (c === 0 ? v : text(`w${i}`)));
    const op = i % 3 === 0 ? 'INSERT' : i % 3 === 1 ? 'UPDATE' : 'DELETE';
    changes.push({ table, op, indirect: i % 5 === 0, old: op === 'INSERT' ? undefined : row, new: op === 'DELETE' ? undefined : op === 'INSERT' ? row : changed });
  }
  return writeChangeset('changeset', changes);
}

/** A header alone: a table named with no change. */
const named = (table: TableHeader) => Uint8Array.from([0x54, table.pk.length, ...(table.pkIndex ?? table.pk.map((k, i) => (k ? i + 1 : 0))), ...new TextEncoder().encode(table.name), 0]);

/** Files of groups and lone headers in a seeded random order. */
function files(count: number): Uint8Array[] {
  let seed = 7;
  const random = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0), (seed >>> 16) % n);
  const out: Uint8Array[] = [];
  for (let f = 0; f < count; f++) {
    const parts: Uint8Array[] = [];
    for (let p = 0, n = 1 + random(8); p < n; p++) {
      const kind = random(4);
      if (kind === 0) parts.push(named(E));
      else parts.push(group(kind === 1 ? B : A, 1 + random(12), 10 * p));
    }
    out.push(Buffer.concat(parts));
  }
  return out;
}

function piecesOf(bytes: Uint8Array, pieceBytes: number, chunk: number): Piece[] {
  const cutter = new PieceCutter(pieceBytes);
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += chunk) pieces.push(...cutter.push(bytes.subarray(at, at + chunk)));
  pieces.push(...cutter.end());
  return pieces.map((piece) => ({ bytes: piece, continues: cutter.continues(piece) }));
}

function* inverted(changes: Iterable<Change>): Generator<Change> {
  for (const change of changes) yield invertChange(change);
}

describe('the changes of a file cut into pieces', () => {
  it('write back as the whole file does: a copy, an inverse and a patchset, byte for byte', () => {
    let continued = 0;
    for (const bytes of files(40)) {
      if (bytes[0] !== 0x54 || !iterateChanges(bytes).next().value) continue;
      const copy = writeChangeset('changeset', iterateChanges(bytes));
      const inverse = writeChangeset('changeset', inverted(iterateChanges(bytes)));
      const patchset = writeChangeset('patchset', iterateChanges(bytes));
      const json = [...iterateChanges(bytes)].map(renderJson);
      for (const [pieceBytes, chunk] of [[1, 1], [17, 5], [40, 64], [90, 1000], [1 << 20, 7]] as const) {
        const pieces = piecesOf(bytes, pieceBytes, chunk);
        continued += pieces.filter((p) => p.continues).length;
        const changes = () => changesOfPieces(piecesOf(bytes, pieceBytes, chunk));
        expect(Buffer.concat([...writeChunks('changeset', changes(), 32)])).toEqual(Buffer.from(copy));
        expect(Buffer.concat([...writeChunks('changeset', inverted(changes()), 1)])).toEqual(Buffer.from(inverse));
        expect(writeChangeset('patchset', changes())).toEqual(patchset);
        expect([...changes()].map(renderJson)).toEqual(json);
      }
    }
    expect(continued).toBeGreaterThan(300); // many cuts fell inside a table
  });

  it('keep the tables named with no change where the whole file has them', () => {
    const bytes = Buffer.concat([named(E), group(A, 4, 0), named(E), named(B), group(A, 3, 10), named(E), named(E), group(B, 2, 20), named(E)]);
    const whole = writeChangeset('changeset', iterateChanges(bytes));
    expect(whole.length).toBeGreaterThan(bytes.length - 2 * named(E).length - named(B).length - 1); // the writer keeps most of them
    for (let pieceBytes = 1; pieceBytes < 200; pieceBytes += 3) {
      expect(writeChangeset('changeset', changesOfPieces(piecesOf(bytes, pieceBytes, 11)))).toEqual(whole);
    }
  });
});
