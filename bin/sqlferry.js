#!/usr/bin/env node
// Plain JavaScript on purpose: it must run on any Node to say which one is needed.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  process.stderr.write(
    `error: sqlferry needs Node.js 24 or newer (this is ${process.version}); install Node.js 24 (https://nodejs.org/en/download, or nvm install 24), or use the single executable, which needs no Node.\n`,
  );
  process.exit(7);
}
// `sqlferry --version` alone, what an install or a health check asks to see that the tool
// starts, is answered from package.json without loading the CLI (main.ts answers it too).
// Node's modules come from process.getBuiltinModule: an ES import of node:fs would read all of
// its exports, loading fs/promises and readline behind it.
const args = process.argv.slice(2);
const { existsSync, readFileSync } = process.getBuiltinModule('node:fs');
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  // Cache compiled code between runs: most of a short command's start-up is compiling its
  // modules. Node's default folder (NODE_COMPILE_CACHE, or one under the temp dir); a cache
  // that cannot be written is skipped, never an error.
  process.getBuiltinModule('node:module').enableCompileCache?.();
  // A clone runs its TypeScript as it is; the npm package ships no src/, only the JavaScript
  // built into dist/npm/ by `prepack` (Node strips no types under node_modules): one file for
  // each command run over and over (sync, pull…) when the command line names it, one module
  // to load instead of a few dozen chunks; else main.js.
  const source = new URL('../src/cli/main.ts', import.meta.url);
  const named = commandNamed(args);
  const own = named === undefined ? undefined : new URL(`../dist/npm/commands/${named}.js`, import.meta.url);
  const entry = existsSync(source) ? source.href : own !== undefined && existsSync(own) ? own.href : '../dist/npm/main.js';
  const { main } = await import(entry);
  process.exitCode = await main(process.argv);
}

/** The command the arguments name, as src/cli/commands/index.ts's commandsFor finds it: none after --, -h or --help. */
function commandNamed(argv) {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--' || argv[i] === '-h' || argv[i] === '--help') return undefined;
    if (argv[i] === '--db') i++; // the one global option that takes a separate value
    else if (!argv[i].startsWith('-')) return /^[a-z]+$/.test(argv[i]) ? argv[i] : undefined;
  }
  return undefined;
}
