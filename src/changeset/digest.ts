// The content digest of a table: a lattice hash (LtHash, Bellare–Micciancio; as in Lewi et
// al., "Securing Update Propagation with Homomorphic Hashing", 2019) of the multiset of its
// cells. Each cell (table, row key, column, value) expands, by SHAKE128, to 256 lanes of 16
// bits; a table's digest is the lane-wise sum mod 2^16. The sum does not depend on order,
// and adding a row or changing a cell changes it by that cell's vector alone, so a
// changeset's own bytes give the change of the digest (an UPDATE holds the old and new value
// of each changed cell; INSERT and DELETE hold whole rows) without rescanning the table.
//
// Why 256 lanes (4096 bits): Wagner's generalized-birthday attack on such sums costs about
// 2^(2·sqrt(bits)) = 2^128 here; Lewi et al. use 1024 lanes for a wider margin at four times
// the cost of every cell. NULL cells are left out, so a column added without a default
// changes nothing. Values are hashed in their changeset encoding (type byte, then the bytes),
// so INTEGER vs REAL, -0.0 and TEXT bytes that are not UTF-8 each count exactly.
import { hash } from 'node:crypto';
import { ChangesetFormatError } from '../errors/index.ts';
import { ByteCursor } from './cursor.ts';
import { detectKind } from './reader.ts';
import { OP_CODE, TABLE_CHANGESET, TABLE_PATCHSET, TYPE_NULL } from './format.ts';
import type { TableHeader } from './types.ts';

export const DIGEST_LANES = 256;
const ELEMENT_BYTES = DIGEST_LANES * 2;

/** Each table's lattice; a table absent from the map has the zero digest (no non-NULL cells). */
export type TableDigests = Map<string, Uint16Array>;

/** The digest a table's content claims: hex sha256 of its lanes (little-endian), as stored in entry metadata. */
export function digestHash(lanes: Uint16Array): string {
  const bytes = new Uint8Array(ELEMENT_BYTES);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < DIGEST_LANES; i++) view.setUint16(i * 2, lanes[i]!, true);
  return hash('sha256', bytes, 'hex');
}

/** What entry metadata carries: per table with content, its digest hash, names sorted. */
export function digestClaims(digests: TableDigests): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of [...digests.keys()].sort()) {
    const lanes = digests.get(name)!;
    if (lanes.some((l) => l !== 0)) out[name] = digestHash(lanes);
  }
  return out;
}

export function copyDigests(digests: TableDigests): TableDigests {
  return new Map([...digests].map(([name, lanes]) => [name, lanes.slice()]));
}

/**
 * Builds the hash input of cells: varint-free framing that cannot be ambiguous, since the
 * table name is length-prefixed and every value encoding is self-delimiting.
 */
export class CellHasher {
  private scratch = new Uint8Array(1024);
  private len = 0;

  /** Start the cells of one row: table name and the row's key (its encoded key values, in column order). */
  row(table: string, key: readonly Uint8Array[]): void {
    const name = Buffer.from(table, 'utf8');
    this.len = 0;
    this.put4(name.length);
    this.put(name);
    for (const k of key) this.put(k);
  }

  /** Add (sign 1) or remove (-1) the cell of column `column` holding the encoded `value` of the current row. */
  cell(into: Uint16Array, column: number, value: Uint8Array, sign: 1 | -1): void {
    if (value.length === 1 && value[0] === TYPE_NULL) return;
    const rowLen = this.len;
    this.put4(column);
    this.put(value);
    const h = hash('shake128', this.scratch.subarray(0, this.len), { outputEncoding: 'buffer', outputLength: ELEMENT_BYTES }) as Buffer;
    this.len = rowLen;
    if (sign === 1) for (let i = 0; i < DIGEST_LANES; i++) into[i]! += h[2 * i]! | (h[2 * i + 1]! << 8);
    else for (let i = 0; i < DIGEST_LANES; i++) into[i]! -= h[2 * i]! | (h[2 * i + 1]! << 8);
  }

  private put4(n: number): void {
    this.ensure(4);
    new DataView(this.scratch.buffer).setUint32(this.len, n);
    this.len += 4;
  }

  private put(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.scratch.set(bytes, this.len);
    this.len += bytes.length;
  }

  private ensure(extra: number): void {
    if (this.len + extra <= this.scratch.length) return;
    const next = new Uint8Array(Math.max(this.scratch.length * 2, this.len + extra));
    next.set(this.scratch.subarray(0, this.len));
    this.scratch = next;
  }
}

export function lanesOf(digests: TableDigests, table: string): Uint16Array {
  let lanes = digests.get(table);
  if (lanes === undefined) {
    lanes = new Uint16Array(DIGEST_LANES);
    digests.set(table, lanes);
  }
  return lanes;
}

/**
 * Add the change of digest that applying the changeset `bytes` makes, table by table, to
 * `digests`. A patchset's UPDATE and DELETE lack the old values: they need the database.
 */
export function addChangesetDelta(bytes: Uint8Array, digests: TableDigests): void {
  if (bytes.length === 0) return;
  if (detectKind(bytes) === 'patchset') throw new ChangesetFormatError('a patchset does not hold the old values its digest change needs', 0);
  const hasher = new CellHasher();
  const c = new ByteCursor(bytes);
  let table: TableHeader | undefined;
  let lanes: Uint16Array | undefined;
  while (c.pos < c.end) {
    const code = bytes[c.pos]!;
    if (code === TABLE_CHANGESET || code === TABLE_PATCHSET) {
      table = c.tableHeader();
      lanes = lanesOf(digests, table.name);
      continue;
    }
    if (table === undefined || lanes === undefined) throw new ChangesetFormatError('change before any table header', c.pos);
    if (code !== OP_CODE.INSERT && code !== OP_CODE.UPDATE && code !== OP_CODE.DELETE) throw new ChangesetFormatError(`unknown change operation ${code}`, c.pos);
    c.pos += 2; // operation and indirect flag
    const first = slices(c, table.pk.length);
    hasher.row(table.name, keyOf(table, first));
    if (code === OP_CODE.INSERT || code === OP_CODE.DELETE) {
      const sign = code === OP_CODE.INSERT ? 1 : -1;
      first.forEach((v, i) => hasher.cell(lanes!, i, v, sign));
    } else {
      const second = slices(c, table.pk.length);
      for (let i = 0; i < second.length; i++) {
        if (table.pk[i] || second[i]![0] === 0) continue; // key, or a column the UPDATE leaves alone
        hasher.cell(lanes, i, first[i]!, -1);
        hasher.cell(lanes, i, second[i]!, 1);
      }
    }
  }
}

/** The encoded values of one record, as subarrays of the input. */
function slices(c: ByteCursor, n: number): Uint8Array[] {
  const out = new Array<Uint8Array>(n);
  for (let i = 0; i < n; i++) {
    const start = c.pos;
    c.skipValue(false);
    out[i] = c.bytes.subarray(start, c.pos);
  }
  return out;
}

/** The key: the encoded values of the key columns, in column order. */
export function keyOf(table: { pk: readonly boolean[] }, values: readonly Uint8Array[]): Uint8Array[] {
  const key: Uint8Array[] = [];
  table.pk.forEach((isPk, i) => {
    if (isPk) key.push(values[i]!);
  });
  return key;
}
