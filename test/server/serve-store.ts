// A real `sqlferry serve --store STORE` on a free loopback port, for tests and benchmarks that
// put several servers on one store. Its URL is read from the line it prints when it listens.
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { BIN as bin } from '../cli-bin.ts';

/**
 * Starts the server, adds it to `children` (the caller kills them), and returns its base URL.
 * The lines it logs as errors (every 5xx is one) go to `errors` when given.
 */
export async function serveStore(store: string, children: ChildProcessWithoutNullStreams[], env: NodeJS.ProcessEnv = process.env, errors?: string[]): Promise<string> {
  const child = spawn(process.execPath, [bin, 'serve', '--store', store, '--port', '0'], { env });
  children.push(child);
  if (errors) child.stderr.on('data', (d: Buffer) => errors.push(...String(d).split('\n').filter((l) => l.startsWith('error:'))));
  else child.stderr.resume();
  let out = '';
  for await (const chunk of child.stdout) {
    out += chunk;
    const m = /at (http:\/\/\S+)\/NAME/.exec(out);
    if (m) return m[1]!;
  }
  throw new Error(`serve did not start: ${out}`);
}
