// Builds dist/npm/: the compiled JavaScript the npm package ships (run by `prepack`, so
// `npm pack` and `npm publish` always ship a fresh build). Node refuses to strip types under
// node_modules, so an installed package cannot run src/*.ts as a clone does.
// One ES module per command (code splitting): `sqlferry commit` still loads only what commit
// uses. Dependencies stay outside, installed by npm from package.json's "dependencies".
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}dist/npm`;

rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: { main: `${root}src/cli/main.ts` },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  packages: 'external',
  outdir: out,
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
});
