// The npm package as a user gets it: `npm pack` (prepack builds dist/npm/), installed with
// `npm install -g` into a temporary prefix, then run from there — compiled JavaScript, no
// type stripping under node_modules — and the README's cron line run as cron runs it.
import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, globSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pkg from '../../package.json' with { type: 'json' };
import { readmeCronCommands } from './readme-cron.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const node24 = dirname(process.execPath);
let dir = '';
let prefix = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sqlferry-npm-'));
  prefix = join(dir, 'prefix');
  // npm runs on the project's Node 24 (npm's own scripts and prepack's esbuild need it).
  const env = { ...process.env, PATH: `${node24}:${process.env.PATH}` };
  const packed = spawnSync('npm', ['pack', '--pack-destination', dir, '--silent'], { cwd: root, env, encoding: 'utf8' });
  expect(packed.status, packed.stderr).toBe(0);
  const tarball = join(dir, packed.stdout.trim().split('\n').at(-1)!);
  const files = spawnSync('tar', ['tzf', tarball], { encoding: 'utf8' }).stdout.trim().split('\n');
  expect(files).toContain('package/dist/npm/main.js');
  expect(files).toContain('package/dist/npm/commands/sync.cjs');
  // Only what runs: no sources, tests, benchmarks, fixtures or CI scripts.
  expect(files.filter((f) => !/^package\/(bin\/sqlferry\.js|dist\/npm\/.+\.c?js|package\.json|README\.md)$/.test(f))).toEqual([]);
  // The dependencies are in npm's cache since `npm ci`: offline when it can, the registry if not.
  // No install scripts: ssh2's optional native parts (cpu-features, its crypto binding) would
  // compile C++ for ~40 s of CPU, and sqlferry runs on their JavaScript fallbacks either way.
  const installed = spawnSync('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], { env, encoding: 'utf8' });
  expect(installed.status, installed.stderr).toBe(0);
  copyFileSync(join(root, 'fixtures', 'Chinook_Sqlite.sqlite'), join(dir, 'app.db'));
}, 180_000);

describe('the npm package, installed with npm install -g', () => {
  const bin = () => join(prefix, 'bin', 'sqlferry');
  const run = (...args: string[]) => {
    const r = spawnSync(bin(), args, { cwd: dir, env: { PATH: `${node24}:/usr/bin:/bin`, HOME: dir, NO_COLOR: '1' }, encoding: 'utf8' });
    expect(r.status, `sqlferry ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };

  it('runs on Node 24: --version, init, commit, and a sync to a folder hub', () => {
    expect(run('--version').trim()).toBe(pkg.version);
    expect(run('init', 'app.db')).toContain('Initialized replica');
    expect(run('init', '--bare', 'hub')).toContain('hub');
    run('remote', 'add', 'origin', './hub', '--db', 'app.db');
    spawnSync('sqlite3', [join(dir, 'app.db'), "UPDATE Artist SET Name = 'AC-DC' WHERE ArtistId = 1"]);
    expect(run('commit', '-m', 'renamed', '--db', 'app.db')).toMatch(/^Committed 1 /);
    expect(run('sync', '--db', 'app.db')).toContain('hub at 1');
  });

  it('a command run over and over runs as one script with its V8 code cache, and loads no Node module it does not use', () => {
    // Recorded by a module hook (the package's modules) and process.moduleLoadList (Node's own).
    const record = join(dir, 'loaded.json');
    const hook = join(dir, 'record.mjs');
    const cacheRoot = join(dir, 'compile-cache');
    writeFileSync(hook, `import { registerHooks } from 'node:module';\nimport { writeFileSync } from 'node:fs';\nconst seen = [];\nregisterHooks({ load(url, context, next) { seen.push(url); return next(url, context); } });\nprocess.on('exit', () => writeFileSync(${JSON.stringify(record)}, JSON.stringify({ seen, builtins: process.moduleLoadList })));\n`);
    const status = () => {
      const r = spawnSync(process.execPath, ['--import', hook, bin(), 'status', '--db', 'app.db'], { cwd: dir, env: { ...process.env, NODE_COMPILE_CACHE: cacheRoot }, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('Nothing to commit.');
      return JSON.parse(readFileSync(record, 'utf8')) as { seen: string[]; builtins: string[] };
    };
    const { seen, builtins } = status();
    const own = join(prefix, 'lib', 'node_modules', 'sqlferry');
    // dist/npm/commands/status.cjs is no module: bin/sqlferry.js runs it as a node:vm script.
    expect(seen.filter((u) => u.startsWith('file://')).map((u) => u.slice(`file://${own}/`.length))).toEqual(['bin/sqlferry.js']);
    expect(builtins.filter((m) => ['NativeModule crypto', 'NativeModule fs/promises', 'NativeModule child_process', 'NativeModule tty'].includes(m))).toEqual([]);
    // The cache, written after the first run, private to this user; kept by the next run (V8
    // took it); a copy others could write is not read but replaced.
    const [cache] = globSync(join(cacheRoot, '*', 'sqlferry', 'status.cjs-*.v8'));
    expect(cache).toBeDefined();
    const first = statSync(cache!);
    expect(first.mode & 0o777).toBe(0o600);
    expect(readFileSync(cache!, 'latin1')).toMatch(/^sqlferry \d+ \d+ \d+ \d+ \d+ v24\./);
    status();
    expect(statSync(cache!).ino).toBe(first.ino);
    chmodSync(cache!, 0o666);
    status();
    expect(statSync(cache!).ino).not.toBe(first.ino);
    expect(statSync(cache!).mode & 0o777).toBe(0o600);
  });

  it('imports a conflict handler module at run time (the command scripts have no import() of their own)', () => {
    writeFileSync(join(dir, 'handler.mjs'), "throw new Error('handler module evaluated');\n");
    const r = spawnSync(bin(), ['sync', '--db', 'app.db', '--conflict-handler', './handler.mjs'], { cwd: dir, env: { PATH: `${node24}:/usr/bin:/bin`, HOME: dir, NO_COLOR: '1' }, encoding: 'utf8' });
    expect(r.stderr).toBe(`error: the conflict handler module ${join(dir, 'handler.mjs')} failed to load: handler module evaluated\n`);
    writeFileSync(join(dir, 'handler.mjs'), 'export default () => ({ keep: "local" });\n');
    expect(run('sync', '--db', 'app.db', '--conflict-handler', './handler.mjs')).toContain('hub at 1');
  });

  it("on an older Node says in one sentence what to install, exit 7", () => {
    const r = spawnSync(bin(), ['--version'], { env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8' });
    expect(r.status).toBe(7);
    expect(r.stderr).toMatch(/^error: sqlferry needs Node\.js 24 or newer \(this is v\d+[^)]*\); install Node\.js 24 .*\n$/);
    expect(r.stderr).not.toContain('npx');
  });

  it("runs the README's cron line verbatim under cron's empty environment", () => {
    // /usr/local/bin holds Node 24 and npm's global bin on a machine with Node installed from
    // nodejs.org: here the prefix's bin, with Node 24 beside sqlferry.
    symlinkSync(process.execPath, join(prefix, 'bin', 'node'));
    const npmLine = readmeCronCommands().find((c) => c.includes(' sqlferry sync -q'));
    expect(npmLine, 'README.md has a cron line for the npm package').toBeDefined();
    spawnSync('sqlite3', [join(dir, 'app.db'), "UPDATE Artist SET Name = 'Queen II' WHERE ArtistId = 51"]);
    const command = npmLine!.replaceAll('/srv/app', dir).replaceAll('/usr/local/bin', join(prefix, 'bin'));
    const r = spawnSync('/usr/bin/env', ['-i', 'PATH=/usr/bin:/bin', 'sh', '-c', command], { encoding: 'utf8' });
    expect(r).toMatchObject({ status: 0, stdout: '', stderr: '' });
    expect(run('log', '--json', '--db', 'app.db')).toContain('"seq": 2');
    expect(run('status', '--db', 'app.db')).toContain('Every commit is on the hub (the hub had 2 entries');
  });
});
