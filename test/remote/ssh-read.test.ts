// Reading files over SFTP against a real sshd (src/remote/ssh/read-ahead.ts): the bytes whole and
// in order whatever the size and however wrong the size the metadata states, and what was read
// not kept alive by the connection while it stays open (the reads of a 242 MiB entry once grew a
// pull to 370 MB that way).
import { describe, it, expect, afterAll } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startSshd } from './sshd.ts';
import { SshLink } from '../../src/remote/ssh/link.ts';
import { SftpFolderFs } from '../../src/remote/ssh/folder-fs.ts';
import { sshHostOf } from '../../src/remote/ssh/config-file.ts';
import { parseSshUrl } from '../../src/remote/ssh/url.ts';
import { collect } from '../../src/hub/checksum.ts';

const sshd = await startSshd();
process.env.HOME = sshd.home;
delete process.env.SSH_AUTH_SOCK;
delete process.env.SQLFERRY_SSH_CONFIG;
const dir = mkdtempSync(join(sshd.dir, 'read-'));
const url = `ssh://${sshd.user}@127.0.0.1:${sshd.port}${dir}`;
const at = parseSshUrl(url);
const folder = new SftpFolderFs(new SshLink(url, sshHostOf(at), at.path), at.path);
afterAll(async () => {
  await folder.close();
  await sshd.stop();
});

function file(name: string, size: number): Buffer {
  const bytes = randomBytes(size);
  writeFileSync(join(dir, name), bytes);
  return bytes;
}

describe('ssh: reading a file', () => {
  it('yields every byte in order, for sizes around the piece and the read-ahead window', async () => {
    for (const size of [0, 1, 64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 16 * 64 * 1024, 16 * 64 * 1024 + 7, 3 * 2 ** 20 + 5]) {
      const bytes = file(`f${size}`, size);
      expect(Buffer.from(await collect(folder.stream(`f${size}`, size))).equals(bytes), `${size} bytes`).toBe(true);
    }
  });

  it('reads on past the stated size when the file is longer, and stops at the end when it is shorter', async () => {
    const bytes = file('longer', 2 ** 20 + 333);
    expect(Buffer.from(await collect(folder.stream('longer', 1000))).equals(bytes)).toBe(true);
    expect(Buffer.from(await collect(folder.stream('longer', 0))).equals(bytes)).toBe(true);
    expect(Buffer.from(await collect(folder.stream('longer', 5 * 2 ** 20))).equals(bytes)).toBe(true);
  });

  it('reads many files at once on the one connection', async () => {
    const files = Array.from({ length: 40 }, (_, i) => file(`many${i}`, 100_000 + i * 997));
    const got = await Promise.all(files.map((bytes, i) => collect(folder.stream(`many${i}`, bytes.length))));
    got.forEach((bytes, i) => expect(Buffer.from(bytes).equals(files[i]!), `file ${i}`).toBe(true));
  });

  it('reads the text of a small file no further than 16 MiB and a byte, however long the file', async () => {
    writeFileSync(join(dir, 'meta.json'), '{"seq":1}');
    expect(await folder.readText('meta.json')).toBe('{"seq":1}');
    expect(await folder.readText('absent.json')).toBeUndefined();
    truncateSync(join(dir, 'meta.json'), 3 * 2 ** 30); // sparse: costs no disk
    expect((await folder.readText('meta.json'))!.length).toBe(16 * 2 ** 20 + 1);
  });

  it('says which file is missing', async () => {
    await expect(collect(folder.stream('absent', 10))).rejects.toMatchObject({ code: 'HUB_SFTP_FAILED', message: expect.stringContaining('reading absent') });
  });

  it('lets go of the chunks read while the connection stays open', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    file('held', 8 * 2 ** 20);
    const chunks: Array<WeakRef<Uint8Array>> = [];
    for await (const chunk of folder.stream('held', 8 * 2 ** 20)) chunks.push(new WeakRef(chunk));
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    const alive = chunks.filter((c) => c.deref() !== undefined).length;
    expect(chunks.length).toBeGreaterThanOrEqual(64);
    expect(alive).toBeLessThan(8);
  });

  it("loads ssh2's client alone, not the SSH server and HTTP agents of its index", () => {
    const loaded = Object.keys(createRequire(import.meta.url).cache).filter((path) => /[\\/]ssh2[\\/]lib[\\/]/.test(path));
    expect(loaded.some((path) => path.endsWith('client.js'))).toBe(true); // the connection above is real
    expect(loaded.filter((path) => /[\\/]lib[\\/](index|server|http-agents|keygen)\.js$/.test(path))).toEqual([]);
  });
});

describe('ssh: listing a folder', () => {
  it('hands over every name of a folder too large for one answer, and stops where asked', async () => {
    const names = Array.from({ length: 2500 }, (_, i) => `name-${i}`);
    mkdirSync(join(dir, 'names'));
    for (const name of names) writeFileSync(join(dir, 'names', name), '');
    const seen: string[] = [];
    expect(await folder.scan('names', (name) => (seen.push(name), false))).toBe(true);
    expect(seen.sort()).toEqual([...names].sort());
    let calls = 0;
    expect(await folder.scan('names', () => (++calls, true))).toBe(true);
    expect(calls).toBe(1);
    expect(await folder.scan('no-such-folder', () => false)).toBe(false);
  });
});
