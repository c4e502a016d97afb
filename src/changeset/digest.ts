// The content digest of a table: a lattice hash (LtHash, Bellare–Micciancio; as in Lewi et
// al., "Securing Update Propagation with Homomorphic Hashing", 2019) of the multiset of its
// cells. Each cell (table, row key, column, value) expands, by BLAKE3's extendable output (512
// bytes), to 256 lanes of 16 bits; a table's digest is the lane-wise sum mod 2^16. The hashing
// and the sums run in a WebAssembly kernel (digest-cells.ts), which also reads a changeset's
// records itself; this file reads the table headers and any record the kernel leaves. The
// sum does not depend on order, and adding a row or changing a cell changes it by that cell's
// vector alone, so a changeset's own bytes give the change of the digest (an UPDATE holds the
// old and new value of each changed cell; INSERT and DELETE hold whole rows) without
// rescanning the table.
//
// Why 256 lanes (4096 bits): Wagner's generalized-birthday attack on such sums costs about
// 2^(2·sqrt(bits)) = 2^128 here; Lewi et al. use 1024 lanes for a wider margin at four times
// the cost of every cell. NULL cells are left out, so a column added without a default
// changes nothing. Values are hashed in their changeset encoding (type byte, then the bytes),
// so INTEGER vs REAL, -0.0 and TEXT bytes that are not UTF-8 each count exactly.
import { hash } from 'node:crypto';
import { endianness } from 'node:os';
import { ChangesetFormatError } from '../errors/index.ts';
import { CellBatch } from './digest-cells.ts';
import { ByteCursor } from './cursor.ts';
import { detectKind } from './reader.ts';
import { OP_CODE, TABLE_CHANGESET, TABLE_PATCHSET, TYPE_UNDEFINED } from './format.ts';
import type { TableHeader } from './types.ts';

export const DIGEST_LANES = 256;
const ELEMENT_BYTES = DIGEST_LANES * 2;
/** A Uint16Array's own bytes are then the lanes little-endian, as claims hash them. */
const LITTLE_ENDIAN = endianness() === 'LE';

/** Each table's lattice; a table absent from the map has the zero digest (no non-NULL cells). */
export type TableDigests = Map<string, Uint16Array>;

/** The digest a table's content claims: hex sha256 of its lanes (little-endian), as stored in entry metadata. */
export function digestHash(lanes: Uint16Array): string {
  if (LITTLE_ENDIAN) return hash('sha256', new Uint8Array(lanes.buffer, lanes.byteOffset, lanes.byteLength), 'hex');
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

/** Each table's lanes as base64 (as a replica's digest.json and a commit's `digestChange` keep them). */
export function lanesRecord(digests: TableDigests): Record<string, string> {
  const tables: Record<string, string> = {};
  for (const [name, lanes] of digests) tables[name] = Buffer.from(lanes.buffer, lanes.byteOffset, lanes.byteLength).toString('base64');
  return tables;
}

/** lanesRecord read back; undefined when it is not one (a damaged or foreign file: the caller counts again). */
export function lanesFromRecord(tables: unknown): TableDigests | undefined {
  if (typeof tables !== 'object' || tables === null || Array.isArray(tables)) return undefined;
  const digests: TableDigests = new Map();
  for (const [name, b64] of Object.entries(tables)) {
    const bytes = typeof b64 === 'string' ? Buffer.from(b64, 'base64') : Buffer.alloc(0);
    if (bytes.length !== DIGEST_LANES * 2) return undefined;
    digests.set(name, new Uint16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)));
  }
  return digests;
}

/** The change of digest a changeset makes, table by table; undefined for a patchset (it lacks old values). */
export function entryDelta(bytes: Uint8Array): TableDigests | undefined {
  if (bytes.length > 0 && detectKind(bytes) === 'patchset') return undefined;
  const delta: TableDigests = new Map();
  addChangesetDelta(bytes, delta);
  return delta;
}

export function copyDigests(digests: TableDigests): TableDigests {
  return new Map([...digests].map(([name, lanes]) => [name, lanes.slice()]));
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
  const cells = new CellBatch();
  const c = new ByteCursor(bytes);
  let table: TableHeader | undefined;
  let name = new Uint8Array(0);
  let at = new Int32Array(0); // where each value starts: the record's n, the end, then an UPDATE's n new ones and their end
  while (c.pos < c.end) {
    const code = bytes[c.pos]!;
    if (code === TABLE_CHANGESET || code === TABLE_PATCHSET) {
      table = c.tableHeader();
      name = Buffer.from(table.name, 'utf8');
      at = new Int32Array(2 * table.pk.length + 2);
      cells.target(lanesOf(digests, table.name));
      continue;
    }
    if (table === undefined) throw new ChangesetFormatError('change before any table header', c.pos);
    const next = cells.records(bytes, c.pos, table.pk, name);
    if (next > c.pos) {
      c.pos = next;
      continue;
    }
    // A record the kernel left: read here, refused here if malformed.
    if (code !== OP_CODE.INSERT && code !== OP_CODE.UPDATE && code !== OP_CODE.DELETE) throw new ChangesetFormatError(`unknown change operation ${code}`, c.pos);
    c.pos += 2; // operation and indirect flag
    const n = table.pk.length;
    record(c, n, at, 0);
    cells.row(name);
    for (let i = 0; i < n; i++) if (table.pk[i]) cells.keyRaw(bytes, at[i]!, at[i + 1]!);
    if (code === OP_CODE.INSERT || code === OP_CODE.DELETE) {
      const sign = code === OP_CODE.INSERT ? 1 : -1;
      for (let i = 0; i < n; i++) cells.cellRaw(i, bytes, at[i]!, at[i + 1]!, sign);
    } else {
      record(c, n, at, n + 1);
      for (let i = 0; i < n; i++) {
        const to = n + 1 + i;
        if (table.pk[i] || bytes[at[to]!] === TYPE_UNDEFINED) continue; // key, or a column the UPDATE leaves alone
        cells.cellRaw(i, bytes, at[i]!, at[i + 1]!, -1);
        cells.cellRaw(i, bytes, at[to]!, at[to + 1]!, 1);
      }
    }
  }
  cells.finish();
}

/**
 * Add the change of digest that the INSERTs of the patchset `bytes` make: a patchset INSERT holds
 * the whole row, as a changeset's does. Its UPDATEs and DELETEs hold no old values: their rows
 * are read from the database (src/sync/touched-digest.ts).
 */
export function addPatchsetInsertsDelta(bytes: Uint8Array, digests: TableDigests): void {
  const cells = new CellBatch();
  const c = new ByteCursor(bytes);
  let table: TableHeader | undefined;
  let name = new Uint8Array(0);
  let at = new Int32Array(0);
  while (c.pos < c.end) {
    const code = bytes[c.pos]!;
    if (code === TABLE_PATCHSET) {
      table = c.tableHeader();
      name = Buffer.from(table.name, 'utf8');
      at = new Int32Array(table.pk.length + 1);
      cells.target(lanesOf(digests, table.name));
      continue;
    }
    if (table === undefined) throw new ChangesetFormatError('change before any table header', c.pos);
    if (code !== OP_CODE.INSERT && code !== OP_CODE.UPDATE && code !== OP_CODE.DELETE) throw new ChangesetFormatError(`unknown change operation ${code}`, c.pos);
    c.pos += 2; // operation and indirect flag
    const n = table.pk.length;
    if (code === OP_CODE.DELETE) {
      for (let i = 0; i < n; i++) if (table.pk[i]) c.skipValue(true); // the key alone
      continue;
    }
    record(c, n, at, 0); // an UPDATE's one record: the key and the new values
    if (code !== OP_CODE.INSERT) continue;
    cells.row(name);
    for (let i = 0; i < n; i++) if (table.pk[i]) cells.keyRaw(bytes, at[i]!, at[i + 1]!);
    for (let i = 0; i < n; i++) cells.cellRaw(i, bytes, at[i]!, at[i + 1]!, 1);
  }
  cells.finish();
}

/** Step over a record of `n` values, noting in `at` from `from` on where each starts and where the last ends. */
function record(c: ByteCursor, n: number, at: Int32Array, from: number): void {
  for (let i = 0; i < n; i++) {
    at[from + i] = c.pos;
    c.skipValue(false);
  }
  at[from + n] = c.pos;
}
