import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/sqlferry.js', import.meta.url));

describe('the CLI entry point', () => {
  it('refuses an older Node with one sentence and exit code 7', () => {
    // /usr/bin/node on these machines is Node 20; skip the check where it is not older.
    const system = spawnSync('/usr/bin/env', ['-i', 'PATH=/usr/local/bin:/usr/bin:/bin', 'node', '--version'], { encoding: 'utf8' });
    const major = Number(system.stdout.trim().slice(1).split('.')[0]);
    expect(major, 'this test needs the machine Node (20) to be older than 24').toBeLessThan(24);
    const r = spawnSync('/usr/bin/env', ['-i', 'PATH=/usr/local/bin:/usr/bin:/bin', 'node', bin, '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(7);
    expect(r.stderr).toMatch(/^error: sqlferry needs Node\.js 24 or newer \(this is v\d+/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('prints help and exits 0 on the project Node', () => {
    const r = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: sqlferry');
  });

  it('answers an unknown command with a usage error and exit code 2', () => {
    const r = spawnSync(process.execPath, [bin, 'pusj'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('error:');
  });

  it('ends with an error line when a command is missing, after the help', () => {
    const none = spawnSync(process.execPath, [bin], { encoding: 'utf8' });
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('Usage: sqlferry');
    expect(none.stderr).toMatch(/\nerror: no command given \(the commands are listed above\)\n$/);
    const remote = spawnSync(process.execPath, [bin, 'remote', '-v'], { encoding: 'utf8' });
    expect(remote.status).toBe(2);
    expect(remote.stderr).toMatch(/\nerror: sqlferry remote needs a subcommand \(listed above\)\n$/);
  });

  it('prints an error as a JSON document on stdout when --json was asked for', () => {
    const r = spawnSync(process.execPath, [bin, 'log', '--json', '--db', '/nonexistent/app.db'], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    const doc = JSON.parse(r.stdout) as { error: { code: string; message: string; exitCode: number } };
    expect(doc.error).toMatchObject({ code: expect.any(String), message: expect.stringContaining('/nonexistent/app.db'), exitCode: r.status });
    expect(r.stderr).toMatch(/^error: /);
  });
});
