#!/usr/bin/env node
// Plain JavaScript on purpose: it must run on any Node to say which one is needed.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  process.stderr.write(
    `error: sqlferry needs Node.js 24 or newer (this is ${process.version}); run it through npm (npx sqlferry), which brings its own Node 24, or install Node 24.\n`,
  );
  process.exit(7);
}
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
