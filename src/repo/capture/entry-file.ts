// A log entry's bytes written as they are produced, piece after piece, so `commit` never holds
// a whole entry in memory: a temp file beside the entry's name, its sha256 kept as it grows.
// A piece is a changeset of its own; pieces one after the other are one changeset (a table
// header may repeat, always with the same columns). `mark`/`rewind` take back what was written
// since a point (a table whose capture starts over another way).
import { closeSync, fsync, fsyncSync, ftruncateSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { createHash, type Hash } from 'node:crypto';
import { passed } from '../../shared/collect.ts';
import { tempPathFor } from '../atomic.ts';
import { entryDelta, type TableDigests } from '../../changeset/digest.ts';
import { streamed } from '../../shared/pieces.ts';

/** A piece of an entry (one session's changeset) aims at about this size: memory stays bounded whatever the row width. */
export const PIECE_BYTES = 2 ** 20;

/** Rows in a piece: the first 8,192, each next one scaled by how far the last one's `bytes` missed PIECE_BYTES. */
export const FIRST_PIECE_ROWS = 8192;
export const MAX_PIECE_ROWS = 262_144;
export function nextPieceRows(rows: number, bytes: number): number {
  return bytes === 0 ? rows : Math.max(256, Math.min(MAX_PIECE_ROWS, Math.round((rows * PIECE_BYTES) / bytes)));
}

export interface EntryMark {
  size: number;
  hash: Hash;
}

export class EntryFile {
  readonly path: string;
  readonly target: string;
  private fd: number | undefined;
  private hash = createHash('sha256');
  size = 0;

  /** A temp file that becomes `target` on publish. */
  constructor(target: string) {
    this.target = target;
    this.path = tempPathFor(target);
    this.fd = openSync(this.path, 'wx+');
  }

  /** `reused`: the piece's buffer is its maker's, to be filled again (no garbage to collect). */
  append(piece: Uint8Array, reused = false): void {
    let off = 0;
    while (off < piece.byteLength) off += writeSync(this.fd!, piece, off, piece.byteLength - off, this.size + off);
    this.hash.update(piece);
    this.size += piece.byteLength;
    if (!reused) passed(piece.byteLength, true); // a piece arrives in a buffer of its own, made just now, garbage once written
  }

  /** Appends what `other` holds, a piece at a time. */
  appendFrom(other: EntryFile): void {
    const chunk = Buffer.alloc(Math.min(PIECE_BYTES, other.size));
    for (let at = 0; at < other.size; at += chunk.length) {
      const length = Math.min(chunk.length, other.size - at);
      other.readInto(chunk, at, length);
      this.append(chunk.subarray(0, length), true);
    }
  }

  /** `length` bytes from `offset`: a piece written earlier, read back to be applied. */
  read(offset: number, length: number): Uint8Array {
    return this.readInto(new Uint8Array(length), offset, length);
  }

  private readInto(out: Uint8Array, offset: number, length: number): Uint8Array {
    let got = 0;
    while (got < length) {
      const n = readSync(this.fd!, out, got, length - got, offset + got);
      if (n === 0) throw new Error(`${this.path} ends at ${offset + got}, expected ${offset + length}`);
      got += n;
    }
    return out;
  }

  mark(): EntryMark {
    return { size: this.size, hash: this.hash.copy() };
  }

  rewind(to: EntryMark): void {
    ftruncateSync(this.fd!, to.size);
    this.size = to.size;
    this.hash = to.hash.copy();
  }

  sha256(): string {
    return this.hash.copy().digest('hex');
  }

  /**
   * What the file holds so far handed to the disk now, on libuv's thread pool, without waiting:
   * the fsync of publish, which makes it durable as before, then finds it written (Linux writes
   * dirty pages back of its own accord only after 30 s, or past a share of memory). Through a
   * descriptor of its own, closed when done, so that publish may close this one first.
   */
  startWriteBack(): void {
    const fd = openSync(this.path, 'r');
    fsync(fd, () => closeSync(fd));
  }

  /**
   * The change of content digest its bytes make, read back from the page cache (digest.ts
   * entryDelta); undefined for an entry large enough to go as a stream (src/shared/pieces.ts),
   * which push counts a piece at a time.
   */
  digestChange(): TableDigests | undefined {
    return streamed(this.size) ? undefined : entryDelta(this.read(0, this.size));
  }

  /** fsync and rename into place; the caller then writes the metadata (the commit point) and fsyncs the folder. */
  publish(): void {
    fsyncSync(this.fd!);
    this.close();
    renameSync(this.path, this.target);
  }

  /** Drop the temp file (nothing to commit, or a failure). */
  discard(): void {
    this.close();
    rmSync(this.path, { force: true });
  }

  private close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}
