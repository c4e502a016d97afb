// The page map's hash: XXH3-128 with a seed (xxh3.c), in WebAssembly. It tells a page that
// changed from one that did not, on this machine, for a cache: it needs no resistance to a
// chosen collision, only speed (about ten times SHA-256's from node:crypto here, which left
// a commit in rollback-journal mode reading 889 MB at under 1 GB/s). The seed, drawn at random
// for each replica's first map and kept with the map, makes the hashes of no two replicas
// comparable and no page crafted in advance to collide with another.
import { randomBytes } from 'node:crypto';
import { XXH3_WASM_BASE64 } from './xxh3-wasm.ts';

// What this file uses of WebAssembly's JavaScript API (its types live in TypeScript's DOM library, not in @types/node).
interface WasmModule {
  readonly kind?: 'module';
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule) => { exports: unknown };
};

interface Xxh3Exports {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  __heap_base: { readonly value: number };
  xxh3_seed(seed: bigint): void;
  xxh3_each(inPtr: number, size: number, count: number, outPtr: number): void;
  parse_page(pagePtr: number, size: number, usable: number, pageno: number, outPtr: number): void;
}

/** Bytes of one hash. */
export const PAGE_HASH_BYTES = 16;

/** Hashes runs of equal size read into `input`, which lies in the kernel's memory (no copy in). */
export interface PageHasher {
  readonly seed: bigint;
  /** Where to read the pages to hash: `capacity` bytes. */
  readonly input: Buffer;
  /** The hash of each of the `count` runs of `size` (> 240) bytes from the start of `input`, to `out` from `at`. */
  hashEach(size: number, count: number, out: Buffer, at: number): void;
  /**
   * What page-parse.c reads of the page of `size` bytes at `at` in `input` (`usable` of them the
   * b-tree's; page number `pageno`), into `parsed`; only with room made for pages of that size.
   */
  parsePage(at: number, size: number, usable: number, pageno: number): void;
  /** parsePage's last page: its span, and (cells, kind, next, children, status) then its children, four numbers each. */
  readonly parsed: { span: BigInt64Array; words: Int32Array };
}

/** parsed.words' status: a page whose payload sizes reach 2^31, left to the JavaScript (leaf-span.ts, btree-walk.ts). */
export const PARSE_IN_JS = -2;
/** Where parsed.words holds a page's children. */
export const PARSED_CHILDREN = 6;
/** Numbers per child in parsed.words (page-parse.c push: page, 1 for an overflow page, pages left in its chain, leaf). */
export const PARSED_CHILD = 4;

let compiled: WasmModule | undefined;

/** A new random seed, for a replica's first map. */
export function newSeed(): bigint {
  return randomBytes(8).readBigUInt64LE();
}

/**
 * A hasher with `seed` for runs of up to `capacity` bytes in all; `parsedPageSize`: room for
 * parsePage's output of pages of up to that size (a page's children, two bytes of cell pointer
 * each at least, four numbers each).
 */
export function pageHasher(seed: bigint, capacity: number, parsedPageSize = 0): PageHasher {
  compiled ??= new WebAssembly.Module(Buffer.from(XXH3_WASM_BASE64, 'base64'));
  const kernel = new WebAssembly.Instance(compiled).exports as Xxh3Exports;
  const base = kernel.__heap_base.value;
  const outAt = base + capacity;
  const parsedAt = Math.ceil((outAt + (capacity / 241 + 1) * PAGE_HASH_BYTES) / 8) * 8;
  const parsedBytes = 16 + 4 * (PARSED_CHILDREN + PARSED_CHILD * (parsedPageSize / 2 + 2));
  const need = parsedAt + parsedBytes - kernel.memory.buffer.byteLength;
  if (need > 0) kernel.memory.grow(Math.ceil(need / 65536));
  kernel.xxh3_seed(BigInt.asUintN(64, seed));
  const memory = kernel.memory.buffer; // taken after growing: a grown memory has a new buffer
  const hashes = Buffer.from(memory, outAt);
  return {
    seed,
    input: Buffer.from(memory, base, capacity),
    hashEach(size, count, out, at) {
      if (size <= 240 || size * count > capacity) throw new RangeError(`cannot hash ${count} runs of ${size} bytes here`);
      kernel.xxh3_each(base, size, count, outAt);
      hashes.copy(out, at, 0, count * PAGE_HASH_BYTES);
    },
    parsePage(at, size, usable, pageno) {
      if (size > parsedPageSize || at + size > capacity) throw new RangeError(`cannot parse a page of ${size} bytes here`);
      kernel.parse_page(base + at, size, usable, pageno, parsedAt);
    },
    parsed: { span: new BigInt64Array(memory, parsedAt, 2), words: new Int32Array(memory, parsedAt + 16, (parsedBytes - 16) / 4) },
  };
}

/** The checksum's pieces: pages.bin is checked, and rewritten in place, a piece at a time (page-map-file.ts). */
export const CHECKSUM_PIECE = 1 << 20;
const PIECE = CHECKSUM_PIECE;

/** checksumOf's kernel, kept for the next call (a load and a save of the page map): its memory is new to the process only once. */
let checksummer: PageHasher | undefined;

/** The sum of one piece of a Checksum (at most CHECKSUM_PIECE bytes; only the last may be shorter). */
export function pieceSum(bytes: Uint8Array): Buffer {
  const hasher = (checksummer ??= pageHasher(0n, PIECE));
  hasher.input.set(bytes);
  const size = Math.max(bytes.length, 241);
  hasher.input.fill(0, bytes.length, size); // zeros after a short piece: more than 240 bytes to hash
  const sum = Buffer.alloc(PAGE_HASH_BYTES);
  hasher.hashEach(size, 1, sum, 0);
  return sum;
}

/** The Checksum of `length` bytes whose pieces' sums are `sums`, in order. */
export function checksumOfSums(sums: readonly Buffer[], length: number): Buffer {
  const all = Buffer.alloc((sums.length + 1) * PAGE_HASH_BYTES + 241); // zeros after the sums: more than 240 bytes to hash
  sums.forEach((sum, i) => sum.copy(all, i * PAGE_HASH_BYTES));
  all.writeDoubleBE(length, sums.length * PAGE_HASH_BYTES);
  const hasher = all.length <= PIECE ? (checksummer ??= pageHasher(0n, PIECE)) : pageHasher(0n, all.length);
  all.copy(hasher.input);
  const out = Buffer.alloc(PAGE_HASH_BYTES);
  hasher.hashEach(all.length, 1, out, 0);
  return out;
}

/**
 * A checksum of bytes of any length, given a part at a time (pages.bin is written as it is
 * summed, not put together in memory first): the hash (seed 0) of the hashes of its 1 MiB
 * pieces and its length, so that only a piece at a time is copied into the kernel's memory,
 * and a piece rewritten changes only its own sum.
 */
export class Checksum {
  private readonly piece = Buffer.alloc(PIECE);
  /** Bytes of the current piece. */
  private filled = 0;
  private length = 0;
  private readonly sums: Buffer[] = [];

  update(bytes: Uint8Array): this {
    for (let at = 0; at < bytes.length; ) {
      const take = Math.min(PIECE - this.filled, bytes.length - at);
      this.piece.set(bytes.subarray(at, at + take), this.filled);
      [this.filled, at, this.length] = [this.filled + take, at + take, this.length + take];
      if (this.filled === PIECE) this.endPiece();
    }
    return this;
  }

  digest(): Buffer {
    if (this.filled > 0) this.endPiece();
    return checksumOfSums(this.sums, this.length);
  }

  private endPiece(): void {
    this.sums.push(pieceSum(this.piece.subarray(0, this.filled)));
    this.filled = 0;
  }
}

/** The Checksum of `bytes`. */
export function checksumOf(bytes: Uint8Array): Buffer {
  return new Checksum().update(bytes).digest();
}
