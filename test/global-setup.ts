// Every test's temp files go under one folder per run, removed when the run ends: the suite
// makes hundreds of replicas, hubs and sshd homes, and a machine that runs it often should not
// keep them. Workers start after this runs, so they inherit TMPDIR (os.tmpdir() reads it) and
// SQLFERRY_TEST_BIN: the CLI as the npm package lays it out (test/cli-bin.ts), built here once.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const project = fileURLToPath(new URL('..', import.meta.url));

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'sqlferry-tests-'));
  process.env.TMPDIR = root;
  const cli = join(root, 'cli');
  const built = spawnSync(process.execPath, [join(project, 'bin', 'build-dist.ts'), join(cli, 'dist', 'npm')], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`building the CLI for the tests failed: ${built.stderr}`);
  mkdirSync(join(cli, 'bin'));
  copyFileSync(join(project, 'bin', 'sqlferry.js'), join(cli, 'bin', 'sqlferry.js'));
  copyFileSync(join(project, 'package.json'), join(cli, 'package.json'));
  symlinkSync(join(project, 'node_modules'), join(cli, 'node_modules')); // pg and ssh2, outside the bundles
  process.env.SQLFERRY_TEST_BIN = join(cli, 'bin', 'sqlferry.js');
  return () => rmSync(root, { recursive: true, force: true });
}
