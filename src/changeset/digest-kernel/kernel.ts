// The digest kernel (cells.c, blake3.c), compiled once per process from the base64 that
// build.ts wrote, and instantiated once per batch in use: an instance holds the lane sums of
// its batch, so two batches open at once never share one. Instances are reused when released.
import { KERNEL_WASM_BASE64 } from './kernel-wasm.ts';

// What this file uses of WebAssembly's JavaScript API (its types live in TypeScript's DOM library, not in @types/node).
interface WasmModule {
  readonly kind?: 'module';
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule) => { exports: unknown };
};

export interface KernelExports {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  __heap_base: { readonly value: number };
  add_cells(ptr: number, len: number): number;
  add_records(ptr: number, len: number, tablePtr: number, columns: number, prefixLength: number): number;
  take(lanesPtr: number): void;
  blake3_xof(inPtr: number, len: number, outPtr: number, outLen: number): void;
}

/** One instance: its exports, and where free memory starts (the kernel's data and stack lie below). */
export interface Kernel {
  exports: KernelExports;
  heapBase: number;
}

let compiled: WasmModule | undefined;
const free: Kernel[] = [];

export function acquireKernel(): Kernel {
  const reused = free.pop();
  if (reused !== undefined) return reused;
  compiled ??= new WebAssembly.Module(Buffer.from(KERNEL_WASM_BASE64, 'base64'));
  const exports = new WebAssembly.Instance(compiled).exports as KernelExports;
  return { exports, heapBase: exports.__heap_base.value };
}

/** Give back an instance whose sums were all taken. */
export function releaseKernel(kernel: Kernel): void {
  free.push(kernel);
}

/** Make `bytes` bytes from `heapBase` addressable; returns the memory's buffer (a new one when it grew). */
export function reserve(kernel: Kernel, bytes: number): ArrayBuffer {
  const memory = kernel.exports.memory;
  const need = kernel.heapBase + bytes - memory.buffer.byteLength;
  if (need > 0) memory.grow(Math.ceil(need / 65536));
  return memory.buffer;
}
