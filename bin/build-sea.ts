// Builds dist/sqlferry: one executable that runs on a machine without Node (a Node.js
// Single Executable Application). Run with `npm run build:sea`, on the project's Node 24,
// whose binary becomes the base of the executable.
//   1. esbuild bundles the CLI and its dependencies into one CommonJS script (the lazily
//      imported commands are inlined; node: builtins stay outside);
//   2. node --experimental-sea-config turns the script into a blob;
//   3. postject injects the blob into a copy of this Node binary.
import { build, type Plugin } from 'esbuild';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = `${root}dist/sea/`;
const exe = `${root}dist/sqlferry`;

// ssh2 tries two optional native addons in try/catch (cpu-features, its own sshcrypto.node)
// and falls back to pure JavaScript without them: a module that throws makes that explicit.
const noNativeAddons: Plugin = {
  name: 'no-native-addons',
  setup(b) {
    b.onResolve({ filter: /^cpu-features$|\.node$/ }, (args) => ({ path: args.path, namespace: 'no-native' }));
    b.onLoad({ filter: /.*/, namespace: 'no-native' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`${args.path}: native addons are left out of the single executable`)});`,
    }));
  },
};

// The running Node is the executable's base: it must be the project's 24 (npm run puts it first).
if (Number(process.versions.node.split('.')[0]) < 24) throw new Error(`build:sea needs the project's Node 24, not ${process.version}: npm run build:sea`);
const started = Date.now();
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

// In an executable process.argv is [exe, exe, ...args]: the shape main() and commander's
// default ({ from: 'node' }) expect, so the arguments pass through unchanged. No Node-version
// guard either: the executable is Node 24.
await build({
  stdin: {
    contents: `import { main } from './src/cli/main.ts';\nmain(process.argv).then((code) => { process.exitCode = code; });\n`,
    resolveDir: root,
    sourcefile: 'sea-entry.ts',
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  outfile: `${work}sqlferry.cjs`,
  plugins: [noNativeAddons],
  logLevel: 'warning',
});

writeFileSync(
  `${work}sea-config.json`,
  JSON.stringify({
    main: `${work}sqlferry.cjs`,
    output: `${work}sqlferry.blob`,
    disableExperimentalSEAWarning: true,
    useCodeCache: true,
  }),
);
execFileSync(process.execPath, ['--experimental-sea-config', `${work}sea-config.json`], { stdio: 'inherit' });

rmSync(exe, { force: true });
copyFileSync(process.execPath, exe);
chmodSync(exe, 0o755);
const postject = createRequire(import.meta.url).resolve('postject/dist/cli.js');
const injected = spawnSync(
  process.execPath,
  [postject, exe, 'NODE_SEA_BLOB', `${work}sqlferry.blob`, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'],
  { encoding: 'utf8' },
);
// LIEF's harmless "Can't find string offset for section name '.note…'" lines are left out.
process.stderr.write(injected.stderr.split('\n').filter((l) => l && !l.includes("Can't find string offset")).map((l) => `${l}\n`).join(''));
if (injected.status !== 0) throw new Error(`postject failed (exit ${injected.status}): ${injected.stdout}`);

const mb = (statSync(exe).size / 1e6).toFixed(0);
process.stdout.write(`dist/sqlferry: ${mb} MB, built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
