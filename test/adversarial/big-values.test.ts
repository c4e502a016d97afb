// A big blob row, and a 2 MB text, pushed and pulled through a folder hub (20 MB: more than the
// folder engine reads at once) and through `sqlferry serve` (HTTP, port 0, a token; 9 MB: more
// than a batch carries): the bytes arrive whole on the other replica, and an edit of another
// column of that row travels back without resending trouble.
import { describe, it, expect } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createHash, randomBytes } from 'node:crypto';
import { initHub } from '../../src/sync/init-hub.ts';
import { cloneReplica, firstReplica, newHub } from '../sync/helpers.ts';
import { BIN, cli, ok, tempDir } from './helpers.ts';

const TOKEN = 'adversarial-big-values-0123456789abcdef';

async function serve(root: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--root', root, '--port', '0'], { env: { ...process.env, SQLFERRY_TOKEN: TOKEN } });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      const m = /at (http:\/\/\S+)\/NAME/.exec(output);
      if (m) resolve(m[1]!);
    });
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', () => reject(new Error(`serve exited: ${output}`)));
  });
  return { child, url };
}

const digest = (path: string): string[] => {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return (db.prepare('SELECT id, note, length(b) AS n, typeof(b) AS t, b FROM big ORDER BY id').all() as Array<{ id: number; note: string; n: number; t: string; b: Uint8Array | string }>)
      .map((r) => `${r.id}|${r.note}|${r.t}|${r.n}|${createHash('sha256').update(r.b).digest('hex')}`);
  } finally {
    db.close();
  }
};

describe('big values through the hub', () => {
  for (const [via, blobMiB] of [['folder', 20], ['serve', 9]] as const) {
    it(`a ${blobMiB} MB blob and a 2 MB text travel whole (${via})`, { timeout: 180_000 }, async () => {
      const dir = tempDir();
      let server: { child: ChildProcess; url: string } | undefined;
      let hubUrl: string;
      if (via === 'folder') {
        hubUrl = await newHub(dir);
      } else {
        mkdirSync(join(dir, 'root'));
        await initHub(join(dir, 'root', 'big'));
        server = await serve(join(dir, 'root'));
        hubUrl = `${server.url}/big`;
      }
      process.env.SQLFERRY_TOKEN = TOKEN;
      try {
        // The replicas are made in-process: the syncs of the big values are the CLI's to test.
        const a = (await firstReplica(dir, hubUrl, 'CREATE TABLE big(id INTEGER PRIMARY KEY, note TEXT, b)')).paths.db;
        await cloneReplica(dir, hubUrl, 'b');
        const app = new DatabaseSync(a);
        app.prepare('INSERT INTO big VALUES (?, ?, ?)').run(1, 'blob', randomBytes(blobMiB * 2 ** 20));
        app.prepare('INSERT INTO big VALUES (?, ?, ?)').run(2, 'text', 'ü'.repeat(2 ** 20));
        app.close();
        ok(cli(dir, '--db', 'a.db', 'sync'));
        ok(cli(dir, '--db', 'b.db', 'sync'));
        const first = digest(a);
        expect(digest(join(dir, 'b.db'))).toEqual(first);
        // b edits the small column of the big row; a edits the blob itself: both reach everyone.
        const b = new DatabaseSync(join(dir, 'b.db'));
        b.exec("UPDATE big SET note = 'edited on b' WHERE id = 1");
        b.close();
        const a2 = new DatabaseSync(a);
        a2.exec("UPDATE big SET b = b || x'00' WHERE id = 2");
        a2.close();
        ok(cli(dir, '--db', 'b.db', 'sync'));
        ok(cli(dir, '--db', 'a.db', 'sync'));
        ok(cli(dir, '--db', 'b.db', 'sync'));
        const want = digest(a);
        expect(want[0]).toMatch(new RegExp(`^1\\|edited on b\\|blob\\|${blobMiB * 2 ** 20}\\|`));
        expect(want[1]).toMatch(/^2\|text\|text\|/);
        expect(digest(join(dir, 'b.db'))).toEqual(want);
        expect(want[1]).not.toBe(first[1]); // the text did change (a NUL appended) and travelled
        for (const db of ['a.db', 'b.db']) ok(cli(dir, '--db', db, 'verify'));
      } finally {
        server?.child.kill('SIGTERM');
      }
    });
  }
});
