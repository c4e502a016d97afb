// `sqlferry serve` as users run it: separate processes, real signals. Two servers on one folder
// are one hub (the server keeps no state); a server killed mid-transfer is a typed error.
import { describe, it, expect } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpRemote } from '../../src/remote/http/index.ts';
import { fileRemote } from '../../src/remote/file/index.ts';
import { addGenesis, changeset, entry, hubInfo } from '../remote/hub-fixtures.ts';
import { BIN as bin } from '../cli-bin.ts';

const TOKEN = 'cli-serve-token-0123456789abcdef';
process.env.SQLFERRY_TOKEN = TOKEN;
const root = await mkdtemp(join(tmpdir(), 'sqlferry-cli-serve-'));

/** Starts `sqlferry serve` and waits for the line that names its URL. */
async function serve(): Promise<{ child: ChildProcess; url: string; output: () => string; exit: Promise<number | null> }> {
  const child = spawn(process.execPath, [bin, 'serve', '--root', root, '--port', '0'], { env: { ...process.env, SQLFERRY_TOKEN: TOKEN } });
  let output = '';
  const exit = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
  const url = await new Promise<string>((ok, fail) => {
    child.stdout!.on('data', (d) => {
      output += d;
      const m = /at (http:\/\/\S+)\/NAME/.exec(output);
      if (m) ok(m[1]!);
    });
    child.stderr!.on('data', (d) => (output += d));
    void exit.then(() => fail(new Error(`serve exited: ${output}`)));
  });
  return { child, url, output: () => output, exit };
}

describe('sqlferry serve (the command)', () => {
  it('two servers on one folder are one hub: of racing pushes through both, exactly one wins; SIGTERM stops cleanly', async () => {
    const shared = await fileRemote.create(join(root, 'shared'), hubInfo());
    await addGenesis(shared);
    const [a, b] = await Promise.all([serve(), serve()]);
    expect(a.url).not.toBe(b.url);
    const racers = await Promise.all(Array.from({ length: 8 }, (_, i) => httpRemote.open(`${i % 2 ? a.url : b.url}/shared`)));
    const results = await Promise.allSettled(racers.map((r, i) => r.append(entry(1, changeset(`racer ${i}`)), changeset(`racer ${i}`))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'HUB_ENTRY_EXISTS' });
    expect(await racers[0]!.head()).toBe(1);
    a.child.kill('SIGTERM');
    b.child.kill('SIGINT');
    expect(await a.exit).toBe(0);
    expect(await b.exit).toBe(0);
    expect(a.output()).toContain('Stopping (SIGTERM)');
  });

  it('a server killed during a read ends the read with HUB_CONNECTION_LOST, never short data', async () => {
    const hub = await fileRemote.create(join(root, 'killed'), hubInfo());
    await addGenesis(hub);
    const big = changeset('9', 32 << 20); // streamed in chunks, so the kill lands mid-transfer
    await hub.append(entry(1, big), big);
    const server = await serve();
    const { body } = await (await httpRemote.open(`${server.url}/killed`)).read(1);
    let received = 0;
    const reading = (async () => {
      for await (const chunk of body) {
        if (received === 0) server.child.kill('SIGKILL');
        received += chunk.length;
      }
    })();
    await expect(reading).rejects.toMatchObject({ code: 'HUB_CONNECTION_LOST' });
    expect(received).toBeLessThan(big.length);
    await server.exit;
  });

  it('refuses to start without a token, in one sentence', () => {
    const env = { ...process.env };
    delete env.SQLFERRY_TOKEN;
    const r = spawnSync(process.execPath, [bin, 'serve', '--root', root, '--port', '0'], { env, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: serve needs at least one token to check\nhint: set SQLFERRY_TOKEN/);
  });

  it('starts on a store whose only tokens are its own (`token add`), and takes them', async () => {
    const store = await mkdtemp(join(tmpdir(), 'sqlferry-cli-store-'));
    const made = spawnSync(process.execPath, [bin, 'token', 'add', '--store', store], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const env = { ...process.env };
    delete env.SQLFERRY_TOKEN;
    const child = spawn(process.execPath, [bin, 'serve', '--store', store, '--port', '0'], { env });
    let output = '';
    child.stderr.on('data', (d) => (output += d));
    const url = await new Promise<string>((ok) => child.stdout.on('data', (d) => {
      output += d;
      const m = /at (http:\/\/\S+)\/NAME/.exec(output);
      if (m) ok(m[1]!);
    }));
    try {
      process.env.SQLFERRY_TOKEN = made.stdout.trim();
      const hub = await httpRemote.create(`${url}/own-tokens`, hubInfo());
      expect(await hub.head()).toBe(0);
      process.env.SQLFERRY_TOKEN = TOKEN; // a flat token this server was not given
      await expect((await httpRemote.open(`${url}/own-tokens`)).head()).rejects.toMatchObject({ code: 'HUB_TOKEN_INVALID' });
    } finally {
      process.env.SQLFERRY_TOKEN = TOKEN;
      child.kill('SIGTERM');
    }
  });
});
