// Builds the page hash (xxh3.c) and the changed pages' parse (page-parse.c) into one WebAssembly module, into xxh3-wasm.ts (wasm-build.ts). Run after editing the C: npm run build:kernel
import { fileURLToPath } from 'node:url';
import { buildWasm } from '../../wasm-build.ts';

const here = (name: string): string => fileURLToPath(new URL(name, import.meta.url));
buildWasm([here('xxh3.c'), here('page-parse.c')], here('xxh3-wasm.ts'), 'XXH3_WASM_BASE64');
