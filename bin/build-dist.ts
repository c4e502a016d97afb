// Builds dist/npm/: the compiled JavaScript the npm package ships (run by `prepack`, so
// `npm pack` and `npm publish` always ship a fresh build). Node refuses to strip types under
// node_modules, so an installed package cannot run src/*.ts as a clone does.
// main.js and one ES module per command (code splitting): `sqlferry log` loads only what log
// uses. The commands run over and over (cron's sync, scripts' pull, push, commit, status) also
// get their own files, commands/NAME.cjs (and NAME-rest.cjs, see splitCommand): the whole
// program with that command alone, in CommonJS scripts, which bin/sqlferry.js runs (node:vm,
// with V8's code cache taken after the run) when the command line names it — one or two files
// instead of a few dozen chunks (~50 ms of a no-op sync). commander is bundled in (resolving a package and loading it as CommonJS cost a
// short command ~20 ms); pg and ssh2, loaded on first use, stay outside, installed by npm from
// package.json's "dependencies". Whitespace is minified (comments gone, the files are pure
// ASCII, which V8 reads as one-byte strings); names are kept, for readable stack traces.
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
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

/** `command:NAME`: an entry point running the program with command NAME alone, exporting `exported` too. */
const oneCommand = (exported = ''): Plugin => ({
  name: 'one-command',
  setup(b) {
    b.onResolve({ filter: /^command:/ }, (args) => ({ path: args.path.slice('command:'.length), namespace: 'one-command' }));
    b.onLoad({ filter: /.*/, namespace: 'one-command' }, ({ path: name }) => {
      const register = `register${name[0]!.toUpperCase()}${name.slice(1)}`;
      return {
        contents: `import { run } from './src/cli/program.ts';\nimport { useImporter } from './src/shared/import-module.ts';\nimport { ${register} } from './src/cli/commands/${name}.ts';\nexport const main = (argv: string[], importer: (specifier: string) => Promise<unknown>) => {\n  useImporter(importer);\n  return run(argv, [{ name: '${name}', load: async () => ${register} }]);\n};\n${exported}`,
        resolveDir: root,
        loader: 'ts',
      };
    });
  },
});

/**
 * The commands run over and over are split in two scripts: commands/NAME.cjs, what the command
 * runs when there is nothing to do (a no-op sync: the fingerprint, the replica's state, one
 * request to an HTTP hub), and commands/NAME-rest.cjs, everything the source imports with
 * import() (the rest of a pull, a push, a commit, the other transports), run when first asked
 * for (`sqlferry-rest:PATH`). A module both need is in the first only: the second takes its
 * bindings from there (`sqlferry-core:PATH`, from the first's __core(), which makes them only
 * when called), so that each module has one instance (SqlferryError is one class). V8 then
 * reads, and deserialises the code cache of, only what the no-op path needs. The import()s kept
 * in the first script: LAZY_KEPT.
 */
const LAZY_KEPT = [`${root}src/remote/http/index.ts`];
const REST = 'sqlferry-rest:';
const CORE = 'sqlferry-core:';
const common: BuildOptions = { bundle: true, format: 'esm', platform: 'node', target: 'node24', external: ['pg', 'ssh2'], outdir: out, logLevel: 'warning', minifyWhitespace: true };
// CommonJS, as bin/sqlferry.js runs them: node:vm scripts, whose V8 code cache it keeps. Such
// a script has no import(): pg and ssh2 (CommonJS packages) come through require() instead,
// a module named at run time through the importer main is given (src/shared/import-module.ts).
const script: BuildOptions = { ...common, format: 'cjs', outExtension: { '.js': '.cjs' }, supported: { 'dynamic-import': false } };

/** An import() of a module the build bundles (the project's, chalk), unless kept: external, `sqlferry-rest:PATH`. */
function restBoundary(targets: Set<string>): Plugin {
  return {
    name: 'rest-boundary',
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind !== 'dynamic-import' || args.pluginData === 'inner' || builtins.test(args.path)) return undefined;
        const r = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'inner' });
        if (r.errors.length > 0 || r.external || LAZY_KEPT.includes(r.path)) return undefined;
        targets.add(r.path);
        return { path: `${REST}${relative(root, r.path)}`, external: true };
      });
    },
  };
}

/** In the rest script: a module of the first script's, `sqlferry-core:PATH`. */
function fromCore(inCore: Set<string>): Plugin {
  return {
    name: 'from-core',
    setup(b) {
      b.onResolve({ filter: /^\./ }, async (args) => {
        if (args.pluginData === 'inner') return undefined;
        const r = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'inner' });
        if (r.errors.length > 0 || !inCore.has(r.path)) return undefined;
        return { path: `${CORE}${r.path.slice(root.length)}`, external: true };
      });
    },
  };
}

/**
 * What the rest script takes from the first, by module: the names it reads. esbuild writes an
 * import of an external module as `var import_x = require("sqlferry-core:PATH")` and reads
 * `import_x.NAME`; any other use would need the whole module, so the build fails instead.
 */
function coreBindings(rest: string): Map<string, Set<string>> {
  const byModule = new Map<string, Set<string>>();
  const required = [...rest.matchAll(/(?:var|const|let) (import_[\w$]+)=require\("sqlferry-core:([^"]+)"\)/g)];
  if (required.length !== rest.split('"sqlferry-core:').length - 1) throw new Error('the rest script requires a module of the first in a way this build does not know');
  for (const [, local, path] of required) {
    const names = byModule.get(path!) ?? new Set<string>();
    byModule.set(path!, names);
    for (const use of rest.matchAll(new RegExp(`\\b${local!.replaceAll('$', '\\$')}\\b(\\.[A-Za-z_$][\\w$]*)?`, 'g'))) {
      if (use[1] === undefined) {
        if (rest.startsWith(`${local}=require(`, use.index)) continue;
        throw new Error(`the rest script uses ${local} (${path}) other than by name`);
      }
      names.add(use[1].slice(1));
    }
  }
  return byModule;
}

/** The first script's export __core(): the bindings `wanted` by module, as live getters. */
function coreExport(wanted: Map<string, Set<string>>): string {
  const imports: string[] = [];
  const modules: string[] = [];
  [...wanted].forEach(([path, names], m) => {
    const list = [...names];
    imports.push(`import { ${list.map((n, k) => `${n} as __c${m}_${k}`).join(', ')} } from ${JSON.stringify(`${root}${path}`)};`);
    modules.push(`${JSON.stringify(`${CORE}${path}`)}: { ${list.map((n, k) => `get ${n}() { return __c${m}_${k}; }`).join(', ')} }`);
  });
  return `${imports.join('\n')}\nexport const __core = () => ({ ${modules.join(', ')} });\n`;
}

/** NAME.cjs and, when the command imports anything with import(), NAME-rest.cjs (its modules in a fixed order: the same files at every build). */
async function splitCommand(name: string): Promise<void> {
  const targets = new Set<string>();
  const entry = { [`commands/${name}`]: `command:${name}` };
  const first = await build({ ...script, entryPoints: entry, write: false, metafile: true, plugins: [oneCommand(), restBoundary(targets), nodeBuiltins] });
  if (targets.size === 0) {
    await build({ ...script, entryPoints: entry, plugins: [oneCommand(), nodeBuiltins] });
    return;
  }
  const inCore = new Set(Object.keys(first.metafile.inputs).filter((p) => p.startsWith('src/')).map((p) => `${root}${p}`));
  const restEntry = [...targets].sort().map((p) => `export * as ${JSON.stringify(`${REST}${relative(root, p)}`)} from ${JSON.stringify(p)};`).join('\n');
  const rest = await build({ ...script, stdin: { contents: restEntry, resolveDir: root, loader: 'ts', sourcefile: `${name}-rest.ts` }, outdir: undefined, outfile: `${out}/commands/${name}-rest.cjs`, write: false, plugins: [fromCore(inCore), nodeBuiltins] });
  const restFile = rest.outputFiles[0]!;
  mkdirSync(dirname(restFile.path), { recursive: true });
  writeFileSync(restFile.path, restFile.contents);
  await build({ ...script, entryPoints: entry, plugins: [oneCommand(coreExport(coreBindings(restFile.text))), restBoundary(new Set()), nodeBuiltins] });
}

rmSync(out, { recursive: true, force: true });
await Promise.all([
  build({ ...common, entryPoints: { main: `${root}src/cli/main.ts` }, splitting: true, chunkNames: 'chunks/[name]-[hash]', plugins: [nodeBuiltins] }),
  ...OWN_FILE.map(splitCommand),
]);
