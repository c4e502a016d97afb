// A big blob row, and a text of two pieces, pushed and pulled through a folder hub (a blob of 20
// pieces) and through `sqlferry serve` (HTTP, port 0, a token; 9 pieces: more than the 8 above
// which an entry travels alone, as a stream): the bytes arrive whole on the other replica, and an
// edit of another column of that row travels back without resending trouble. Pieces are made
// 256 KiB (SQLFERRY_PIECE_BYTES) so the sizes are a quarter of the default's — 5 MiB, 2.25 MiB, a
// 512 KiB text — with the same proportions to every bound that depends on the piece size.
import { describe, it, expect } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createHash, randomBytes } from 'node:crypto';
import { initHub } from '../../src/sync/init-hub.ts';
import { Replica } from '../../src/repo/replica.ts';
import { verify } from '../../src/repo/verify.ts';
import { cloneReplica, firstReplica, newHub } from '../sync/helpers.ts';
import { BIN, cli, ok, tempDir } from './helpers.ts';

const TOKEN = 'adversarial-big-values-0123456789abcdef';
const PIECE = 256 << 10;

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
  for (const [via, blobPieces] of [['folder', 20], ['serve', 9]] as const) {
    it(`a blob of ${blobPieces} pieces and a text of 2 travel whole (${via})`, { timeout: 180_000 }, async () => {
      const dir = tempDir();
      process.env.SQLFERRY_PIECE_BYTES = String(PIECE); // for the in-process set-up, the CLI and serve alike
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
        app.prepare('INSERT INTO big VALUES (?, ?, ?)').run(1, 'blob', randomBytes(blobPieces * PIECE));
        app.prepare('INSERT INTO big VALUES (?, ?, ?)').run(2, 'text', 'ü'.repeat(PIECE)); // 2 bytes each
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
        expect(want[0]).toMatch(new RegExp(`^1\\|edited on b\\|blob\\|${blobPieces * PIECE}\\|`));
        expect(want[1]).toMatch(/^2\|text\|text\|/);
        expect(digest(join(dir, 'b.db'))).toEqual(want);
        expect(want[1]).not.toBe(first[1]); // the text did change (a NUL appended) and travelled
        for (const db of ['a.db', 'b.db']) expect(verify(Replica.open(join(dir, db))).problems).toEqual([]); // in-process: the same checks, no CLI start
      } finally {
        server?.child.kill('SIGTERM');
        delete process.env.SQLFERRY_PIECE_BYTES;
      }
    });
  }
});
