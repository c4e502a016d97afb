#!/usr/bin/env node
// Plain JavaScript on purpose: it must run on any Node to say which one is needed.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  process.stderr.write(
    `error: sqlferry needs Node.js 24 or newer (this is ${process.version}); run it through npm (npx sqlferry), which brings its own Node 24, or install Node 24.\n`,
  );
  process.exit(7);
}
// Cache compiled code (type-stripped TypeScript included) between runs: most of a short
// command's start-up is compiling its modules. Node's default folder (NODE_COMPILE_CACHE, or
// one under the temp dir); a cache that cannot be written is skipped, never an error.
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
