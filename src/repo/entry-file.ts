// A log entry's bytes written as they are produced, piece after piece, so `commit` never holds
// a whole entry in memory: a temp file beside the entry's name, its sha256 kept as it grows.
// A piece is a changeset of its own; pieces one after the other are one changeset (a table
// header may repeat, always with the same columns). `mark`/`rewind` take back what was written
// since a point (a table whose capture starts over another way).
import { closeSync, fsyncSync, ftruncateSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { createHash, type Hash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { tempPathFor } from './atomic.ts';

/**
 * Each piece arrives in a buffer of its own (a session's changeset) that is garbage once
 * written; V8 frees such buffers only when their total has grown by about 64 MB since its last
 * collection, so a large capture would hold that much for nothing. Collecting after every few
 * MiB keeps the memory a capture needs to its pieces (the way jest exposes the collector).
 */
const COLLECT_EVERY = 8 * 2 ** 20;
let collect: (() => void) | undefined;
function collectGarbage(): void {
  if (collect === undefined) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}

export interface EntryMark {
  size: number;
  hash: Hash;
}

export class EntryFile {
  readonly path: string;
  private readonly target: string;
  private fd: number | undefined;
  private hash = createHash('sha256');
  private sinceCollected = 0;
  size = 0;

  /** A temp file that becomes `target` on publish. */
  constructor(target: string) {
    this.target = target;
    this.path = tempPathFor(target);
    this.fd = openSync(this.path, 'wx+');
  }

  append(piece: Uint8Array): void {
    let off = 0;
    while (off < piece.byteLength) off += writeSync(this.fd!, piece, off, piece.byteLength - off, this.size + off);
    this.hash.update(piece);
    this.size += piece.byteLength;
    this.sinceCollected += piece.byteLength;
    if (this.sinceCollected >= COLLECT_EVERY) {
      this.sinceCollected = 0;
      collectGarbage();
    }
  }

  /** `length` bytes from `offset`: a piece written earlier, read back to be applied. */
  read(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
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
