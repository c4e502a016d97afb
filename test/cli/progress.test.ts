// Progress lines for long transfers, as a user at a terminal sees them: `sqlferry serve` behind
// a TCP proxy that passes 1 MB/s (a slow link), the CLI on a real pseudo-terminal (script(1)).
// Without a terminal, or with -q, nothing but the result is printed: cron's output stays clean.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { tempDir, sql, cloneReplica, firstReplica, newHub, pushTo, commitAll } from '../sync/helpers.ts';
import { Replica } from '../../src/repo/replica.ts';
import { addRemote } from '../../src/sync/remotes.ts';
import { initHub } from '../../src/sync/init-hub.ts';
import { BIN as bin } from '../cli-bin.ts';

const TOKEN = 'progress-test-token-0123456789abcdef';
const dir = tempDir('sqlferry-progress-');
let server: ChildProcess;
let proxy: Server;
let dropping: Server;
let hubUrl = '';
let droppingUrl = '';
let hubFolder = '';
let source: Replica;
let pusher: Replica;
let slowBase = '';
let hubsRoot = '';

/** Copies `from` to `to` at `bytesPerSecond`; once `dropAfter` bytes went across, cuts both. */
function relay(from: Socket, to: Socket, bytesPerSecond: number, dropAfter: number): void {
  let sent = 0;
  from.on('data', (chunk: Buffer) => {
    to.write(chunk);
    sent += chunk.length;
    if (sent >= dropAfter) {
      from.destroy();
      to.destroy();
      return;
    }
    from.pause();
    setTimeout(() => from.resume(), (chunk.length / bytesPerSecond) * 1000);
  });
  from.on('end', () => to.end());
  from.on('error', () => to.destroy());
}

/** A slow link to `target`: `bytesPerSecond` each way; with `dropAfter`, cut once that many bytes went one way. */
function slowProxy(target: URL, bytesPerSecond: number, dropAfter = Infinity): Promise<{ server: Server; port: number }> {
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    relay(client, upstream, bytesPerSecond, dropAfter);
    relay(upstream, client, bytesPerSecond, dropAfter);
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok({ server, port: (server.address() as { port: number }).port })));
}

beforeAll(async () => {
  // A hub whose genesis snapshot is about 1.3 MB: 1.3 s through the proxy.
  const root = (hubsRoot = join(dir, 'hubs'));
  const replicaDir = join(dir, 'source');
  spawnSync('mkdir', ['-p', root, replicaDir]);
  const hub = (hubFolder = await newHub(root));
  const schema = `CREATE TABLE item(id INTEGER PRIMARY KEY, note TEXT);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500) INSERT INTO item SELECT i, randomblob(500) FROM n;`;
  const replica = (source = await firstReplica(replicaDir, hub, schema));
  sql(replica.paths.db, "INSERT INTO item VALUES (100000, 'after the genesis')");
  commitAll(replica);
  await pushTo(replica, hub);
  server = spawn(process.execPath, [bin, 'serve', '--root', root, '--port', '0'], { env: { ...process.env, SQLFERRY_TOKEN: TOKEN } });
  const base = await new Promise<URL>((ok) => {
    let output = '';
    server.stdout!.on('data', (d) => {
      output += d;
      const m = /at (http:\/\/\S+)\/NAME/.exec(output);
      if (m) ok(new URL(m[1]!));
    });
  });
  const slow = await slowProxy(base, 1_000_000);
  proxy = slow.server;
  slowBase = `http://127.0.0.1:${slow.port}`;
  hubUrl = `${slowBase}/hub`;
  const cut = await slowProxy(base, 1_000_000, 800_000);
  dropping = cut.server;
  droppingUrl = `http://127.0.0.1:${cut.port}/hub`;
});

afterAll(() => {
  server?.kill('SIGTERM');
  proxy?.close();
  dropping?.close();
});

const env = { ...process.env, SQLFERRY_TOKEN: TOKEN, NO_COLOR: '1' };

/** Runs a program to its end without blocking this process, which relays the proxy's bytes. */
function run(file: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(file, args, { cwd: dir, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((ok) => child.on('close', (status) => ok({ status, stdout, stderr })));
}

/** The command on a pseudo-terminal: what script(1) relays is what the terminal received. */
async function onTerminal(args: string[]): Promise<{ status: number | null; screen: string }> {
  const command = [process.execPath, bin, ...args].map((a) => `'${a}'`).join(' ');
  const r = await run('script', ['-qec', command, '/dev/null']);
  return { status: r.status, screen: r.stdout };
}

describe('progress of a long transfer', () => {
  it('is drawn on a terminal while a clone downloads, then erased before the result', async () => {
    const r = await onTerminal(['clone', hubUrl, 'on-terminal.db']);
    expect(r.status).toBe(0);
    const frames = r.screen.split('\r').filter((f) => f.startsWith("Downloading the hub's starting snapshot: "));
    expect(frames.length).toBeGreaterThan(3);
    expect(frames[0]).toMatch(/^Downloading the hub's starting snapshot: \d+% \(\d+ kB of 1\.\d MB, \d+ kB\/s\)/);
    const percents = frames.map((f) => Number(/: (\d+)%/.exec(f)![1]));
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(percents.at(-1)! - percents[0]!).toBeGreaterThan(30);
    // Erased: the result starts on a clean line.
    expect(r.screen).toMatch(/\r\x1b\[KCloned /);
  }, 180_000);

  it('is never drawn without a terminal, nor with -q on one', async () => {
    const piped = await run(process.execPath, [bin, 'clone', hubUrl, 'piped.db']);
    expect(piped.status).toBe(0);
    expect(piped.stderr).toBe('');
    expect(piped.stdout).toMatch(/^Cloned .* \(snapshot at 0, hub at \d+\)\.\n$/);
    const quiet = await onTerminal(['-q', 'clone', hubUrl, 'quiet.db']);
    expect(quiet.status).toBe(0);
    expect(quiet.screen).toBe('');
  }, 180_000);

  it('is erased when the link drops mid-transfer, so the error starts its own line', async () => {
    const r = await onTerminal(['clone', droppingUrl, 'dropped.db']);
    expect(r.status).not.toBe(0);
    expect(r.screen).toMatch(/Downloading the hub's starting snapshot: \d+%/);
    expect(r.screen).toMatch(/\r\x1b\[Kerror: /);
  }, 180_000);

  it('is drawn while a pull fetches hub entries', async () => {
    // The replica that pulls is made in-process: the pull is the CLI's to test.
    addRemote(await cloneReplica(dir, hubFolder, 'puller'), 'slow', hubUrl);
    sql(source.paths.db, 'UPDATE item SET note = randomblob(500)'); // an entry of about 2.5 MB (old and new values)
    commitAll(source);
    await pushTo(source, hubFolder);
    const r = await onTerminal(['--db', 'puller.db', 'pull', 'slow']);
    expect(r.status).toBe(0);
    expect(r.screen).toMatch(/\rFetching 1 hub entry: \d+% \(\d+ kB of 2\.\d MB, \d+ kB\/s\)/);
    expect(r.screen).toMatch(/\r\x1b\[KPulled 1 entry; hub at 2\./);
  }, 180_000);

  it('is drawn while a first push uploads the genesis snapshot', async () => {
    await initHub(join(hubsRoot, 'pushed'));
    sql(join(dir, 'pusher.db'), `CREATE TABLE item(id INTEGER PRIMARY KEY, note BLOB);
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500) INSERT INTO item SELECT i, randomblob(500) FROM n;`);
    pusher = Replica.init(join(dir, 'pusher.db')); // in-process: the push is the CLI's to test
    addRemote(pusher, 'slow', `${slowBase}/pushed`);
    const r = await onTerminal(['--db', 'pusher.db', 'push', 'slow']);
    expect(r.status).toBe(0);
    // Counted as the HTTP client takes the bytes: socket buffers take a file this small at once,
    // so the line stays at 100% while they drain to the server.
    expect(r.screen).toMatch(/\rUploading the starting snapshot: \d+% \((\d+ kB|\d\.\d MB) of 1\.\d MB, [\d.]+ [kM]B\/s\)/);
    expect(r.screen).toMatch(/\r\x1b\[KUploaded this replica's starting snapshot \(1\.\d MB\) to the empty hub; no commits to push; hub at 0\./);
  }, 180_000);

  it('is drawn in bytes, with a rate, while a push sends commits', async () => {
    // Two commits of about 2.5 MB each (old and new values): the line moves as each one lands.
    for (let i = 0; i < 2; i++) {
      sql(join(dir, 'pusher.db'), 'UPDATE item SET note = randomblob(500)');
      commitAll(pusher, `change ${i}`);
    }
    const r = await onTerminal(['--db', 'pusher.db', 'push', 'slow']);
    expect(r.status).toBe(0);
    expect(r.screen).toMatch(/\rPushing 2 commits: \d+% \((\d+ kB|\d\.\d MB) of 5\.\d MB, [\d.]+ [kM]B\/s\)/);
    expect(r.screen).toMatch(/\r\x1b\[KPushed 2 commits \(5\.\d MB\); hub at 2\./);
  }, 180_000);
});
