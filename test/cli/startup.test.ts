// Start-up: a command loads only the modules it uses (bench/startup.ts times it). Which files a
// real `sqlferry` process loads is recorded by a module hook given with --import, and which of
// Node's own modules from process.moduleLoadList.
import { describe, it, expect } from 'vitest';
import { spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pkg from '../../package.json' with { type: 'json' };
import { commands, commandsFor } from '../../src/cli/commands/index.ts';
import { serveStore } from '../server/serve-store.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const names = (argv: string[]) => commandsFor(['node', 'sqlferry', ...argv]).map((c) => c.name);

/** The project's own files a `sqlferry ARGS` process loaded, relative to the checkout, the packages and Node's modules it loaded, and its output. */
function loaded(...args: string[]): { files: string[]; packages: string[]; builtins: string[]; stdout: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sqlferry-startup-'));
  const record = join(dir, 'loaded.json');
  const hook = join(dir, 'record.mjs');
  writeFileSync(hook, `import { registerHooks } from 'node:module';\nimport { writeFileSync } from 'node:fs';\nconst seen = [];\nregisterHooks({ load(url, context, next) { seen.push(url); return next(url, context); } });\nprocess.on('exit', () => writeFileSync(${JSON.stringify(record)}, JSON.stringify({ seen, builtins: process.moduleLoadList })));\n`);
  const r = spawnSync(process.execPath, ['--import', hook, join(root, 'bin', 'sqlferry.js'), ...args], { cwd: dir, encoding: 'utf8' });
  const { seen, builtins } = JSON.parse(readFileSync(record, 'utf8')) as { seen: string[]; builtins: string[] };
  return {
    stdout: r.stdout,
    files: seen.filter((u) => u.startsWith(`file://${root}`)).map((u) => u.slice(`file://${root}`.length)),
    packages: [...new Set(seen.flatMap((u) => /\/node_modules\/([^/]+)\//.exec(u)?.[1] ?? []))],
    builtins: builtins.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length)),
  };
}

describe('start-up', () => {
  it('registers only the command named; none for --version; all for help, a typo or nothing', () => {
    expect(names(['commit', '-m', 'x'])).toEqual(['commit']);
    expect(names(['--db', 'push', 'status'])).toEqual(['status']);
    expect(names(['--version'])).toEqual([]);
    expect(names(['--db', 'x.db', '-V'])).toEqual([]);
    const all = commands.map((c) => c.name);
    for (const argv of [[], ['--help'], ['--version', '--help'], ['-h', '--version'], ['comit']]) expect(names(argv)).toEqual(all);
  });

  it('sqlferry --version loads none of the CLI; with another option, the CLI but no command', () => {
    const bare = loaded('--version');
    expect(bare.stdout).toBe(`${pkg.version}\n`);
    expect(bare.files).toEqual(['bin/sqlferry.js']);
    const withDb = loaded('--db', 'x.db', '--version');
    expect(withDb.stdout).toBe(`${pkg.version}\n`);
    expect(withDb.files).toContain('src/cli/main.ts');
    expect(withDb.files.filter((f) => f.startsWith('src/cli/commands/'))).toEqual(['src/cli/commands/index.ts']);
  });

  it('a local command loads no transport or server code', () => {
    const { files } = loaded('status', '--db', 'missing.db');
    expect(files).toContain('src/cli/commands/status.ts');
    expect(files.filter((f) => /^src\/(remote|server|sync)\//.test(f))).toEqual([]);
  });

  it('a no-op sync over HTTP loads neither zstd (node:zlib) nor TLS (node:https)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sqlferry-startup-sync-'));
    const children: ChildProcessWithoutNullStreams[] = [];
    process.env.SQLFERRY_TOKEN = 'startup-token-0123456789abcdef';
    try {
      const url = `${await serveStore(dir, children)}/app`;
      const db = join(dir, 'app.db');
      spawnSync('sqlite3', [db, 'CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)']);
      for (const args of [['init', db], ['init', '--bare', url], ['--db', db, 'remote', 'add', 'origin', url], ['--db', db, 'sync']]) {
        const r = spawnSync(process.execPath, [join(root, 'bin', 'sqlferry.js'), ...args], { encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
      }
      const { stdout, builtins, packages } = loaded('--db', db, 'sync');
      expect(stdout).toBe('Pulled 0, pushed 0; hub at 0.\n');
      expect(builtins).toContain('http');
      expect(builtins.filter((m) => ['zlib', 'https', 'tls'].includes(m))).toEqual([]);
      // Colours are for errors: chalk (and node:tty, its terminal detection) only when one is printed.
      expect(packages).toEqual(['commander']);
      expect(builtins).not.toContain('tty');
    } finally {
      for (const c of children) c.kill();
    }
  });
});
