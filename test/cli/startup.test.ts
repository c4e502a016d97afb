// Start-up: a command loads only the modules it uses (bench/startup.ts times it). Which files a
// real `sqlferry` process loads is recorded by a module hook given with --import.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pkg from '../../package.json' with { type: 'json' };
import { commands, commandsFor } from '../../src/cli/commands/index.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const names = (argv: string[]) => commandsFor(['node', 'sqlferry', ...argv]).map((c) => c.name);

/** The project's own files a `sqlferry ARGS` process loaded, relative to the checkout, and its output. */
function loaded(...args: string[]): { files: string[]; stdout: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sqlferry-startup-'));
  const record = join(dir, 'loaded.json');
  const hook = join(dir, 'record.mjs');
  writeFileSync(hook, `import { registerHooks } from 'node:module';\nimport { writeFileSync } from 'node:fs';\nconst seen = [];\nregisterHooks({ load(url, context, next) { seen.push(url); return next(url, context); } });\nprocess.on('exit', () => writeFileSync(${JSON.stringify(record)}, JSON.stringify(seen)));\n`);
  const r = spawnSync(process.execPath, ['--import', hook, join(root, 'bin', 'sqlferry.js'), ...args], { cwd: dir, encoding: 'utf8' });
  const seen = JSON.parse(readFileSync(record, 'utf8')) as string[];
  return { stdout: r.stdout, files: seen.filter((u) => u.startsWith(`file://${root}`)).map((u) => u.slice(`file://${root}`.length)) };
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
});
