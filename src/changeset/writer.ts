// Writing changesets and patchsets from changes. A table header is written whenever the
// table changes from one change to the next, so changes must arrive grouped by table.
import { SqlferryError } from '../errors/index.ts';
import type { Change, ChangesetKind, TableHeader } from './types.ts';
import { ByteWriter } from './byte-writer.ts';
import { OP_CODE, tableMarker } from './format.ts';

const utf8 = new TextEncoder();

/** The bytes SQLite writes for a table's PK flags: see TableHeader.pkIndex. */
export function pkBytes(table: TableHeader): number[] {
  if (table.pkIndex) return table.pkIndex;
  let next = 0;
  return table.pk.map((isPk) => (isPk ? ++next : 0));
}

export function sameTable(a: TableHeader, b: TableHeader): boolean {
  if (a === b) return true;
  if (a.name !== b.name || a.pk.length !== b.pk.length) return false;
  const pa = pkBytes(a);
  const pb = pkBytes(b);
  return pa.every((v, i) => v === pb[i]);
}

function invalid(message: string, table: TableHeader): SqlferryError {
  return new SqlferryError('CHANGE_INVALID', `cannot write change to table "${table.name}": ${message}`, {
    data: { table: table.name },
  });
}

export function writeChangeset(kind: ChangesetKind, changes: Iterable<Change>): Uint8Array {
  const writer = new ChangesetWriter(kind);
  for (const change of changes) writer.write(change);
  return writer.end();
}

/** writeChangeset's bytes in chunks of at least `size` bytes (the last may be smaller), written as `changes` are read. */
export function* writeChunks(kind: ChangesetKind, changes: Iterable<Change>, size: number): Generator<Uint8Array> {
  const writer = new ChangesetWriter(kind);
  for (const change of changes) {
    writer.write(change);
    if (writer.held >= size) yield writer.take();
  }
  const last = writer.end();
  if (last.length > 0) yield last;
}

/**
 * writeChangeset a change at a time, its bytes taken as they grow (`take`), so a large file is
 * written in pieces: the pieces, one after the other, are the bytes writeChangeset returns.
 */
export class ChangesetWriter {
  private readonly out = new ByteWriter();
  private readonly marker: number;
  private readonly patchset: boolean;
  private current: TableHeader | undefined;

  constructor(kind: ChangesetKind) {
    this.marker = tableMarker(kind);
    this.patchset = kind === 'patchset';
  }

  /** How many bytes are written and not taken yet. */
  get held(): number {
    return this.out.length;
  }

  write(change: Change): void {
    const out = this.out;
    const patchset = this.patchset;
    const table = change.table;
    const n = table.pk.length;
    if (this.current === undefined || !sameTable(this.current, table)) {
      for (const empty of table.emptyBefore ?? []) writeHeader(out, this.marker, empty);
      writeHeader(out, this.marker, table);
      this.current = table;
    }
    out.byte(OP_CODE[change.op]);
    out.byte(change.indirect ? 1 : 0);
    const { old: oldValues, new: newValues } = change;
    if (change.op !== 'INSERT' && oldValues?.length !== n) throw invalid(`${change.op} needs ${n} old values`, table);
    if (change.op !== 'DELETE' && newValues?.length !== n) throw invalid(`${change.op} needs ${n} new values`, table);
    if (change.op === 'INSERT') {
      for (const v of newValues!) out.value(v);
    } else if (change.op === 'DELETE') {
      // A patchset DELETE carries the key columns only.
      for (let i = 0; i < n; i++) if (!patchset || table.pk[i]) out.value(oldValues![i]!);
    } else if (patchset) {
      // One record: key columns from old.*, the changed columns from new.*.
      for (let i = 0; i < n; i++) out.value(table.pk[i] ? oldValues![i]! : newValues![i]!);
    } else {
      for (const v of oldValues!) out.value(v);
      for (const v of newValues!) out.value(v);
    }
  }

  /** The bytes written since the last take. */
  take(): Uint8Array {
    return this.out.take();
  }

  /** The last bytes: after the last change, the empty tables named after it. */
  end(): Uint8Array {
    for (const empty of this.current?.emptyAfter ?? []) writeHeader(this.out, this.marker, empty);
    return this.out.take();
  }
}

export function writeHeader(out: ByteWriter, marker: number, table: TableHeader): void {
  const name = utf8.encode(table.name);
  if (name.includes(0)) throw invalid('a table name cannot contain a NUL character', table);
  out.byte(marker);
  out.varint(table.pk.length);
  for (const b of pkBytes(table)) out.byte(b);
  out.bytes(name);
  out.byte(0);
}
