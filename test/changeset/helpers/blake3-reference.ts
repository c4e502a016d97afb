// BLAKE3's regular hash with extendable output, written the plainest way: a line-by-line port
// of the BLAKE3 team's reference implementation (https://github.com/BLAKE3-team/BLAKE3,
// reference_impl/reference_impl.rs), one output block at a time. The digest kernel
// (src/changeset/digest-kernel/) is checked against it, and both against the official vectors.
const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
const PERMUTATION = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8];
const CHUNK_START = 1;
const CHUNK_END = 2;
const PARENT = 4;
const ROOT = 8;

const rotr = (x: number, n: number) => ((x >>> n) | (x << (32 - n))) >>> 0;

function g(s: Uint32Array, a: number, b: number, c: number, d: number, x: number, y: number): void {
  s[a] = s[a]! + s[b]! + x;
  s[d] = rotr(s[d]! ^ s[a]!, 16);
  s[c] = s[c]! + s[d]!;
  s[b] = rotr(s[b]! ^ s[c]!, 12);
  s[a] = s[a]! + s[b]! + y;
  s[d] = rotr(s[d]! ^ s[a]!, 8);
  s[c] = s[c]! + s[d]!;
  s[b] = rotr(s[b]! ^ s[c]!, 7);
}

function compress(cv: ArrayLike<number>, block: ArrayLike<number>, counter: number, blockLen: number, flags: number): Uint32Array {
  const s = Uint32Array.from([...Array.from(cv), ...IV.slice(0, 4), counter >>> 0, Math.floor(counter / 2 ** 32), blockLen, flags]);
  let m = Array.from(block);
  for (let round = 0; round < 7; round++) {
    g(s, 0, 4, 8, 12, m[0]!, m[1]!);
    g(s, 1, 5, 9, 13, m[2]!, m[3]!);
    g(s, 2, 6, 10, 14, m[4]!, m[5]!);
    g(s, 3, 7, 11, 15, m[6]!, m[7]!);
    g(s, 0, 5, 10, 15, m[8]!, m[9]!);
    g(s, 1, 6, 11, 12, m[10]!, m[11]!);
    g(s, 2, 7, 8, 13, m[12]!, m[13]!);
    g(s, 3, 4, 9, 14, m[14]!, m[15]!);
    m = PERMUTATION.map((i) => m[i]!);
  }
  for (let i = 0; i < 8; i++) {
    s[i] = s[i]! ^ s[i + 8]!;
    s[i + 8] = s[i + 8]! ^ cv[i]!;
  }
  return s;
}

interface Output {
  cv: ArrayLike<number>;
  block: Uint32Array;
  counter: number;
  blockLen: number;
  flags: number;
}

const chainingValue = (o: Output) => compress(o.cv, o.block, o.counter, o.blockLen, o.flags).slice(0, 8);

function words(bytes: Uint8Array): Uint32Array {
  const padded = new Uint8Array(64);
  padded.set(bytes);
  return new Uint32Array(padded.buffer); // little-endian, as every platform Node runs on
}

/** The chunk's last block as an Output: all of its earlier blocks compressed into its chaining value. */
function chunkOutput(chunk: Uint8Array, counter: number): Output {
  let cv: ArrayLike<number> = IV;
  const blocks = Math.max(1, Math.ceil(chunk.length / 64));
  for (let b = 0; b < blocks - 1; b++) cv = compress(cv, words(chunk.subarray(64 * b, 64 * b + 64)), counter, 64, b === 0 ? CHUNK_START : 0).slice(0, 8);
  const last = chunk.subarray(64 * (blocks - 1));
  return { cv, block: words(last), counter, blockLen: last.length, flags: (blocks === 1 ? CHUNK_START : 0) | CHUNK_END };
}

const parentOutput = (left: Uint32Array, right: Uint32Array): Output => ({ cv: IV, block: Uint32Array.from([...left, ...right]), counter: 0, blockLen: 64, flags: PARENT });

/** The first `outLength` bytes of BLAKE3's extendable output of `input`. */
export function blake3Reference(input: Uint8Array, outLength: number): Uint8Array {
  const chunks = Math.max(1, Math.ceil(input.length / 1024));
  const stack: Uint32Array[] = [];
  for (let c = 0; c < chunks - 1; c++) {
    let cv = chainingValue(chunkOutput(input.subarray(1024 * c, 1024 * c + 1024), c));
    for (let total = c + 1; total % 2 === 0; total /= 2) cv = chainingValue(parentOutput(stack.pop()!, cv));
    stack.push(cv);
  }
  let root = chunkOutput(input.subarray(1024 * (chunks - 1)), chunks - 1);
  while (stack.length > 0) root = parentOutput(stack.pop()!, chainingValue(root));
  const out = new Uint8Array(Math.ceil(outLength / 64) * 64);
  for (let b = 0; b * 64 < outLength; b++) {
    out.set(new Uint8Array(compress(root.cv, root.block, b, root.blockLen, root.flags | ROOT).buffer), 64 * b);
  }
  return out.subarray(0, outLength);
}
