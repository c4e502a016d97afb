// Builds dist/npm/: the compiled JavaScript the npm package ships (run by `prepack`, so
// `npm pack` and `npm publish` always ship a fresh build). Node refuses to strip types under
// node_modules, so an installed package cannot run src/*.ts as a clone does.
// main.js and one ES module per command (code splitting): `sqlferry log` loads only what log
// uses. The commands run over and over (cron's sync, scripts' pull, push, commit, status) also
// get a file each, commands/NAME.cjs: the whole program with that command alone, in one
// CommonJS script, which bin/sqlferry.js runs (node:vm, with V8's code cache taken after the
// run) when the command line names it — one file instead of a few dozen chunks (~50 ms of a
// no-op sync). commander is bundled in (resolving a package and loading it as CommonJS cost a
// short command ~20 ms); pg and ssh2, loaded on first use, stay outside, installed by npm from
// package.json's "dependencies". Whitespace is minified (comments gone, the files are pure
// ASCII, which V8 reads as one-byte strings); names are kept, for readable stack traces.
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';

const OWN_FILE = ['sync', 'pull', 'push', 'commit', 'status'];

const root = fileURLToPath(new URL('..', import.meta.url));
// Another folder when named (the test suite builds its own copy, beside its temporary files).
const out = process.argv[2] ?? `${root}dist/npm`;

// Node's modules are loaded when the program first uses them, not when a module importing them
// is evaluated: a no-op sync never needs node:crypto's ciphers and key code, fs/promises or
// child_process (commander's, for external subcommands). Such a builtin becomes a CommonJS shim
// with one getter per export, reading process.getBuiltinModule on first access; the export names
// are known at build time (this is the project's Node 24, and the code is type-checked against
// it). The modules every Node process loads before user code are taken as they are: imported, an
// ES module exporting the real module and those of its values that reading loads nothing more
// (not util.parseArgs, util.diff, fs.opendir…: an import of one fails the build); required (by
// commander), the real module. Either way the ES import's own cost goes: it builds the export
// list by reading every export, running Node's lazy getters (node:fs would load fs/promises and
// readline behind it, node:util its argument parser and diff).
const builtins = new RegExp(`^(node:.+|${builtinModules.filter((m) => !m.startsWith('_')).join('|').replaceAll('/', '\\/')})$`);
const LOADED_AT_START = ['node:process', 'node:events', 'node:buffer', 'node:timers', 'node:path', 'node:fs', 'node:url', 'node:util', 'node:module'];

/**
 * For each module loaded at start, the exports read without loading any more of Node. Some
 * values are loaded on first read, and one read may load what another needs too, so each
 * round is a fresh process (this one has read some already) and drops the names that loaded
 * something, until none does.
 */
function freeExports(): Record<string, string[]> {
  let names: Record<string, string[]> = Object.fromEntries(LOADED_AT_START.map((path) => {
    const real = process.getBuiltinModule(path) as object;
    return [path, Object.keys(real).filter((name) => /^[A-Za-z_$][\w$]*$/.test(name) && 'value' in Object.getOwnPropertyDescriptor(real, name)!)];
  }));
  for (;;) {
    const probe = `const names = ${JSON.stringify(names)};
const real = Object.fromEntries(Object.keys(names).map((path) => [path, process.getBuiltinModule(path)]));
const loading = [];
for (const [path, list] of Object.entries(names)) for (const name of list) {
  const before = process.moduleLoadList.length;
  void real[path][name];
  if (process.moduleLoadList.length !== before) loading.push(path + ' ' + name);
}
process.stdout.write(JSON.stringify(loading));`;
    const loading = new Set(JSON.parse(execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' })) as string[]);
    if (loading.size === 0) return names;
    names = Object.fromEntries(Object.entries(names).map(([path, list]) => [path, list.filter((name) => !loading.has(`${path} ${name}`))]));
  }
}
const free = freeExports();

function builtinShim(path: string, required: boolean): string {
  const get = `process.getBuiltinModule(${JSON.stringify(path)})`;
  const real = process.getBuiltinModule(path) as object;
  if (!(path in free)) {
    return `const load = () => ${get};\nfor (const name of ${JSON.stringify(Object.keys(real))}) Object.defineProperty(module.exports, name, { get: () => load()[name], enumerable: true });\n`;
  }
  if (required) return `module.exports = ${get};\n`;
  return `const real = ${get};\nexport default real;\nexport const { ${free[path]!.join(', ')} } = real;\n`;
}

// A CommonJS module imported by an ES module is copied, export by export, into an object of
// the importer's own (esbuild's __toESM): node:crypto's ~90 exports were copied once per module
// importing it, thirteen times in a sync. So an ES import of a lazy shim goes through one ES
// module re-exporting it: copied once.
const nodeBuiltins: Plugin = {
  name: 'node-builtins',
  setup(b) {
    b.onResolve({ filter: builtins }, (args) => {
      const path = args.path.replace(/^(node:)?/, 'node:');
      if (args.kind === 'require-call') return { path, namespace: 'builtin-required' };
      return { path, namespace: path in free || args.namespace === 'builtin-reexported' ? 'builtin' : 'builtin-reexported' };
    });
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, ({ path }) => ({ contents: builtinShim(path, false), loader: 'js' }));
    b.onLoad({ filter: /.*/, namespace: 'builtin-required' }, ({ path }) => ({ contents: builtinShim(path, true), loader: 'js' }));
    b.onLoad({ filter: /.*/, namespace: 'builtin-reexported' }, ({ path }) => ({ contents: `export { default } from '${path}';\nexport * from '${path}';\n`, loader: 'js' }));
  },
};

/** `command:NAME`: an entry point running the program with command NAME alone. */
const oneCommand: Plugin = {
  name: 'one-command',
  setup(b) {
    b.onResolve({ filter: /^command:/ }, (args) => ({ path: args.path.slice('command:'.length), namespace: 'one-command' }));
    b.onLoad({ filter: /.*/, namespace: 'one-command' }, ({ path: name }) => {
      const register = `register${name[0]!.toUpperCase()}${name.slice(1)}`;
      return {
        contents: `import { run } from './src/cli/program.ts';\nimport { useImporter } from './src/shared/import-module.ts';\nimport { ${register} } from './src/cli/commands/${name}.ts';\nexport const main = (argv: string[], importer: (specifier: string) => Promise<unknown>) => {\n  useImporter(importer);\n  return run(argv, [{ name: '${name}', load: async () => ${register} }]);\n};\n`,
        resolveDir: root,
        loader: 'ts',
      };
    });
  },
};

const common: BuildOptions = { bundle: true, format: 'esm', platform: 'node', target: 'node24', external: ['pg', 'ssh2'], outdir: out, logLevel: 'warning', minifyWhitespace: true };
rmSync(out, { recursive: true, force: true });
await Promise.all([
  build({ ...common, entryPoints: { main: `${root}src/cli/main.ts` }, splitting: true, chunkNames: 'chunks/[name]-[hash]', plugins: [nodeBuiltins] }),
  // CommonJS, as bin/sqlferry.js runs them: a node:vm script, whose V8 code cache it keeps. Such
  // a script has no import(): pg and ssh2 (CommonJS packages) come through require() instead,
  // a module named at run time through the importer main is given (src/shared/import-module.ts).
  build({ ...common, format: 'cjs', outExtension: { '.js': '.cjs' }, supported: { 'dynamic-import': false }, entryPoints: Object.fromEntries(OWN_FILE.map((name) => [`commands/${name}`, `command:${name}`])), plugins: [oneCommand, nodeBuiltins] }),
]);
