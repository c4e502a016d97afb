// Every test's temp files go under one folder per run, removed when the run ends: the suite
// makes hundreds of replicas, hubs and sshd homes, and a machine that runs it often should not
// keep them. Workers start after this runs, so they inherit TMPDIR (os.tmpdir() reads it).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'sqlferry-tests-'));
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}
