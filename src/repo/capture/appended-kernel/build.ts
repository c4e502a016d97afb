// Builds the appended rows' kernel (records.c) into WebAssembly, into records-wasm.ts (wasm-build.ts). Run after editing the C: npm run build:kernel
import { fileURLToPath } from 'node:url';
import { buildWasm } from '../../wasm-build.ts';

const here = (name: string): string => fileURLToPath(new URL(name, import.meta.url));
buildWasm([here('records.c')], here('records-wasm.ts'), 'RECORDS_WASM_BASE64');
