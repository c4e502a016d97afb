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
const fs = process.getBuiltinModule('node:fs');
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  // Cache compiled code between runs: most of a short command's start-up is compiling its
  // modules. Node's default folder (NODE_COMPILE_CACHE, or one under the temp dir); a cache
  // that cannot be written is skipped, never an error.
  const { enableCompileCache, getCompileCacheDir } = process.getBuiltinModule('node:module');
  enableCompileCache?.();
  // A clone runs its TypeScript as it is; the npm package ships no src/, only the JavaScript
  // built into dist/npm/ by `prepack` (Node strips no types under node_modules): one file for
  // each command run over and over (sync, pull…) when the command line names it, one script
  // to load instead of a few dozen modules; else main.js.
  const source = new URL('../src/cli/main.ts', import.meta.url);
  const named = commandNamed(args);
  const own = named === undefined ? undefined : new URL(`../dist/npm/commands/${named}.cjs`, import.meta.url);
  if (!fs.existsSync(source) && own !== undefined && fs.existsSync(own)) {
    process.exitCode = await runCached(process.getBuiltinModule('node:url').fileURLToPath(own), getCompileCacheDir?.());
  } else {
    const { main } = await import(fs.existsSync(source) ? source.href : '../dist/npm/main.js');
    process.exitCode = await main(process.argv);
  }
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

/**
 * Runs the package's file for one command (a CommonJS script exporting main) with V8's code
 * cache for it, taken after the command ran: it then holds every function the run compiled.
 * Node's compile cache takes it right after compiling, when V8 has compiled only the top level
 * and a few functions; all the others were compiled again at every run (a fifth of a no-op
 * sync's CPU). The cache is kept, one file per script, in a folder in Node's (which is per
 * user and per Node version), and tied to the script file's identity (device, inode, size,
 * times): an upgrade or an edit makes a new one. Without that folder the script runs uncached.
 * What the command imports with import() (the rest of a pull, a push, the other transports) is
 * in a second script, NAME-rest.cjs, run the first time the command asks for one of its modules
 * (`sqlferry-rest:PATH`); the modules both use are the first script's (`sqlferry-core:PATH`, from
 * its __core()).
 */
async function runCached(file, cacheRoot) {
  const vm = process.getBuiltinModule('node:vm');
  const ran = [];
  let required;
  // pg and ssh2 are required (the build turned their import() into require()); a script has no
  // import() of its own, so a module named at run time (a conflict handler) comes through this one.
  const fromPackage = (id) => (required ??= process.getBuiltinModule('node:module').createRequire(file))(id);
  const run = (path, require) => {
    const code = fs.readFileSync(path, 'utf8');
    const cache = cacheRoot === undefined ? undefined : cacheFile(path, cacheRoot);
    const cachedData = cache === undefined ? undefined : readCache(cache);
    const script = new vm.Script(`(function (module, require) {${code}\n})`, { filename: path, cachedData });
    ran.push({ script, cache, cachedData });
    const module = { exports: {} };
    script.runInThisContext()(module, require);
    return module.exports;
  };
  let rest;
  let shared;
  const core = run(file, (id) => {
    if (!id.startsWith('sqlferry-rest:')) return fromPackage(id);
    rest ??= run(file.replace(/\.cjs$/, '-rest.cjs'), (from) => (from.startsWith('sqlferry-core:') ? (shared ??= core.__core())[from] : fromPackage(from)));
    return rest[id];
  });
  const exitCode = await core.main(process.argv, (specifier) => import(specifier));
  for (const { script, cache, cachedData } of ran) {
    if (cache !== undefined && (cachedData === undefined || script.cachedDataRejected)) writeCache(cache, script.createCachedData());
  }
  return exitCode;
}

/** Where the cache for `file` goes, with the header naming the file as it is now; undefined when the folder is not safely this user's. */
function cacheFile(file, cacheRoot) {
  try {
    const dir = `${cacheRoot}/sqlferry`;
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!ownedPrivately(fs.lstatSync(dir))) return undefined;
    const s = fs.statSync(file, { bigint: true });
    // One file per script path: two installs run in turn keep a cache each.
    let tag = 0x811c9dc5;
    for (let i = 0; i < file.length; i++) tag = Math.imul(tag ^ file.charCodeAt(i), 0x01000193) >>> 0;
    return { path: `${dir}/${process.getBuiltinModule('node:path').basename(file)}-${tag.toString(16)}.v8`, header: Buffer.from(`sqlferry ${s.dev} ${s.ino} ${s.size} ${s.mtimeNs} ${s.ctimeNs} ${process.version}\n`) };
  } catch {
    return undefined;
  }
}

/** V8's data for the file as it is now, if the cache holds it: the file is this user's alone and its header matches. */
function readCache(cache) {
  let fd;
  try {
    fd = fs.openSync(cache.path, 'r');
    if (!ownedPrivately(fs.fstatSync(fd))) return undefined;
    const bytes = fs.readFileSync(fd);
    const data = bytes.subarray(cache.header.length);
    return bytes.subarray(0, cache.header.length).equals(cache.header) && data.length > 0 ? data : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Written whole or not at all (a temporary file renamed); a failure leaves the next run uncached, nothing more. */
function writeCache(cache, data) {
  const temp = `${cache.path}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temp, Buffer.concat([cache.header, data]), { mode: 0o600 });
    fs.renameSync(temp, cache.path);
  } catch {
    fs.rmSync(temp, { force: true });
  }
}

/** Another user could plant code in a cache they can write: the folder and the file must be ours, writable by us alone. */
function ownedPrivately(stat) {
  return (process.getuid === undefined || Number(stat.uid) === process.getuid()) && (Number(stat.mode) & 0o022) === 0;
}
