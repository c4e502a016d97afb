// `sqlferry serve` (its own process) against what a client with a read-write token could send on
// purpose: raw node:http requests, each answered with a 4xx and a typed error, never a 500 or a
// crash, storing nothing. After them all the server still runs and replicas still sync through it.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '../../src/hub/checksum.ts';
import { writeChangeset } from '../../src/changeset/index.ts';
import type { Change } from '../../src/changeset/types.ts';
import { initHub } from '../../src/sync/init-hub.ts';
import { verify } from '../../src/repo/verify.ts';
import { GENESIS, changeset, entry, snapshotOf } from '../remote/hub-fixtures.ts';
import { cloneReplica, commitAll, firstReplica, pullWith, pushTo, rows, sql, tempDir } from '../sync/helpers.ts';
import { BIN as bin } from '../cli-bin.ts';

const TOKEN = 'attacks-token-0123456789abcdef';
process.env.SQLFERRY_TOKEN = TOKEN; // the replicas' token
const root = tempDir('sqlferry-attacks-');
const dir = tempDir('sqlferry-attacks-replicas-');
let child: ChildProcess;
let base: string;
let stderr = '';

beforeAll(async () => {
  // Pieces of 4 KiB: an entry over 32 KiB takes the streamed route (checked as it passes), as one over 8 MiB does by default.
  child = spawn(process.execPath, [bin, 'serve', '--root', root, '--port', '0', '--max-entry-mb', '1', '--max-snapshot-mb', '1'], { env: { ...process.env, SQLFERRY_TOKEN: TOKEN, SQLFERRY_PIECE_BYTES: '4096' } });
  child.stderr!.on('data', (d) => (stderr += d));
  base = await new Promise<string>((ok, fail) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /at (http:\/\/\S+)\/NAME/.exec(out);
      if (m) ok(m[1]!);
    });
    child.on('exit', () => fail(new Error(`serve exited: ${out}${stderr}`)));
  });
});
afterAll(() => child.kill('SIGTERM'));

interface Answer { status: number; error?: { code: string; message: string; data?: Record<string, unknown> } }

/**
 * One raw request. `body` goes with its Content-Length; `chunked` goes without one, chunk by
 * chunk, and an `endless` body keeps coming until the server answers (it must, and stop it).
 */
function send(method: string, path: string, opts: { headers?: Record<string, string>; body?: Buffer; chunked?: Buffer[]; endless?: boolean; token?: string | null } = {}): Promise<Answer> {
  const url = new URL(path, base);
  const headers: Record<string, string> = { ...(opts.token === null ? {} : { authorization: `Bearer ${opts.token ?? TOKEN}` }), ...opts.headers };
  if (opts.body) headers['content-length'] = String(opts.body.length);
  return new Promise((ok, fail) => {
    let answered = false;
    // A connection of its own: a kept-alive one that the server is closing as the next request
    // takes it (a refusal closes it after a moment) would end that request with "socket hang up".
    const req = request({ host: url.hostname, port: url.port, method, path: url.pathname, headers, agent: false }, (res) => {
      answered = true;
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => ok({ status: res.statusCode!, ...(text ? (JSON.parse(text) as object) : {}) }));
      res.on('error', fail);
    });
    req.on('error', (err) => answered || fail(err)); // the server may close while the rest is still on its way
    if (opts.body) return req.end(opts.body);
    const chunks = opts.chunked ?? [];
    const pump = async () => {
      for (const c of chunks) if (!answered && !req.destroyed) req.write(c);
      const piece = Buffer.alloc(64 * 1024, 0x54);
      for (let sent = 0; opts.endless && !answered && !req.destroyed && sent < 64 << 20; sent += piece.length) {
        if (!req.write(piece)) await new Promise((r) => setTimeout(r, 5));
      }
      if (!answered && !req.destroyed) req.end();
    };
    void pump();
  });
}

/** A framed body (metadata JSON, then the bytes) with the headers that describe it. */
function framed(meta: unknown, bytes: Uint8Array, metaLength?: number) {
  const head = Buffer.from(typeof meta === 'string' ? meta : JSON.stringify(meta));
  return { headers: { 'sqlferry-meta-length': String(metaLength ?? head.length) }, body: Buffer.concat([head, bytes]) };
}

const SCHEMA = 'CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);';

describe('serve under attack', () => {
  let hub: string;
  let head: number;
  let tip: string;
  const entries = () => send('GET', '/app/entries');
  const still = async () => {
    expect(child.exitCode).toBeNull();
    const answer = await send('GET', '/app/head');
    expect(answer).toMatchObject({ status: 200, head });
    expect((await entries()).status).toBe(200);
    expect(readdirSync(join(root, 'app', 'log')).filter((f) => !/^\d{20}(\.json|\.[0-9a-f]{12}\.changeset)$/.test(f) && f !== 'head')).toEqual([]);
  };

  beforeAll(async () => {
    await initHub(join(root, 'app'), 'changeset');
    hub = `${base}/app`;
    const a = await firstReplica(dir, hub, SCHEMA);
    sql(a.paths.db, "INSERT INTO t VALUES (1, 'one')");
    commitAll(a);
    head = (await pushTo(a, hub)).head;
    tip = a.state().hubTip as string;
  });

  it('answers a body over the limit with 413, with or without a Content-Length, on every upload route', async () => {
    const meta = entry(head + 1, Buffer.alloc(0), tip);
    const uploads: Array<[string, Buffer[]]> = [
      [`/app/entries/${head + 1}`, [Buffer.from(JSON.stringify(meta))]],
      [`/app/entries/${head + 1}`, [Buffer.from(JSON.stringify({ ...meta, size: 100 << 20 }))]],
      ['/app/snapshots/1', [Buffer.from(JSON.stringify({ ...snapshotOf(1, GENESIS), size: 100 << 20 })), GENESIS]],
      ['/new-hub/info', []],
    ];
    for (const [path, [head, ...rest]] of uploads) {
      const headers = { 'sqlferry-meta-length': String(head?.length ?? 1) };
      const chunked = await send('PUT', path, { headers, chunked: head ? [head, ...rest] : [], endless: true });
      expect(chunked, path).toMatchObject({ status: 413, error: { code: 'HUB_BODY_TOO_LARGE' } });
      await still();
    }
    expect(readdirSync(root)).not.toContain('new-hub');
    expect(readdirSync(join(root, 'app', 'snapshots')).filter((f) => !f.startsWith('0'.repeat(20)))).toEqual([]);
    const declared = await send('PUT', `/app/entries/${head + 1}`, framed(meta, Buffer.alloc(3 << 20)));
    expect(declared).toMatchObject({ status: 413, error: { code: 'HUB_BODY_TOO_LARGE' } });
    await still();
  });

  it('answers malformed frames and metadata with 400', async () => {
    const bytes = changeset('x');
    const meta = entry(head + 1, bytes, tip);
    const cases: Array<[string, { headers: Record<string, string>; body: Buffer }]> = [
      ['a Sqlferry-Meta-Length beyond the body', framed(meta, bytes, 100_000)],
      ['no Sqlferry-Meta-Length', { headers: {}, body: framed(meta, bytes).body }],
      ['a Sqlferry-Meta-Length of 0', framed(meta, bytes, 0)],
      ['metadata that is not JSON', framed('{"seq": 1, not json', bytes)],
      ['metadata that is a JSON array', framed('[1, 2, 3]', bytes)],
      ['metadata missing fields', framed({ seq: head + 1 }, bytes)],
      ['metadata for another number', framed({ ...meta, seq: head + 5 }, bytes)],
    ];
    for (const [what, req] of cases) {
      expect(await send('PUT', `/app/entries/${head + 1}`, req), what).toMatchObject({ status: 400, error: { code: 'HUB_BAD_REQUEST' } });
      await still();
    }
    expect(await send('PUT', '/app/snapshots/1', framed('not json', GENESIS))).toMatchObject({ status: 400, error: { code: 'HUB_BAD_REQUEST' } });
    expect(await send('PUT', '/new-hub/info', { body: Buffer.from('{"format": "sqlferry-hub"') })).toMatchObject({ status: 400, error: { code: 'HUB_BAD_REQUEST' } });
    expect(await send('PUT', `/app/entries/${head + 1}`, { headers: { 'sqlferry-meta-length': '50' }, chunked: [Buffer.from('{"seq":')] })).toMatchObject({ status: 400 });
    await still();
  });

  it('refuses entries that would break the hub for every replica with 409/422, storing nothing', async () => {
    const valid = changeset('x');
    const garbage = Buffer.from('garbage with a matching sha256');
    const cases: Array<[string, object, Uint8Array, number, string, string?]> = [
      ['garbage bytes with a matching sha256', entry(head + 1, garbage, tip), garbage, 422, 'HUB_APPEND_REFUSED', 'changeset'],
      ['a parent of zeros', entry(head + 1, valid, '0'.repeat(64)), valid, 422, 'HUB_APPEND_REFUSED', 'parent'],
      ['a gap in the numbers', entry(head + 2, valid, tip), valid, 409, 'HUB_SEQ_GAP'],
      ['an existing number', entry(head, valid, tip), valid, 409, 'HUB_ENTRY_EXISTS'],
      ['the wrong kind', { ...entry(head + 1, valid, tip), kind: 'patchset' }, valid, 422, 'HUB_APPEND_REFUSED', 'kind'],
      ['patchset bytes on a changeset hub', entry(head + 1, changeset('p', 1, 'patchset'), tip), changeset('p', 1, 'patchset'), 422, 'HUB_APPEND_REFUSED', 'changeset'],
      ['bytes shorter than their metadata says', entry(head + 1, valid, tip), valid.subarray(0, 5), 422, 'HUB_APPEND_REFUSED', 'checksum'],
    ];
    for (const [what, meta, bytes, status, code, reason] of cases) {
      const seq = (meta as { seq: number }).seq;
      const answer = await send('PUT', `/app/entries/${seq}`, framed(meta, bytes));
      expect(answer, what).toMatchObject({ status, error: { code, ...(reason ? { data: { reason } } : {}) } });
      await still();
    }
  });

  it('refuses a large entry, streamed in pieces, whose later piece contradicts an earlier one or is cut short, storing nothing', async () => {
    const rows = Array.from({ length: 200 }, (_, i): Change => ({ table: { name: 't', pk: [true, false] }, op: 'INSERT', indirect: false, old: undefined, new: [{ type: 'integer', value: BigInt(i + 10) }, { type: 'text', value: Buffer.alloc(400, 'r') }] }));
    const wide: Change = { table: { name: 't', pk: [true, false, false, false, false, false, false, false] }, op: 'INSERT', indirect: false, old: undefined, new: Array.from({ length: 8 }, (_, i) => ({ type: 'integer' as const, value: BigInt(i) })) };
    const valid = Buffer.from(writeChangeset('changeset', rows)); // ≈ 80 KiB: streamed
    const contradicting = Buffer.concat([valid, writeChangeset('changeset', [wide])]); // issue 11's crash, 20 pieces in
    const cut = valid.subarray(0, valid.length - 7);
    const cases: Array<[string, Buffer, boolean]> = [
      ['t named again with 8 columns after 80 KiB of t with 2', contradicting, false],
      ['the same, sent chunked (no Content-Length)', contradicting, true],
      ['a file cut inside its last record, its sha256 matching', cut, false],
    ];
    for (const [what, bytes, chunked] of cases) {
      const { headers, body } = framed(entry(head + 1, bytes, tip), bytes);
      const answer = await send('PUT', `/app/entries/${head + 1}`, chunked ? { headers, chunked: [body.subarray(0, 5000), body.subarray(5000)] } : { headers, body });
      expect(answer, what).toMatchObject({ status: 422, error: { code: 'HUB_APPEND_REFUSED', data: { reason: 'changeset' } } });
      await still(); // nothing stored, no temp file left in the log folder
    }
  });

  it('answers a malformed or hostile batch (PUT /NAME/log) with a 4xx, storing none of it', async () => {
    const valid = changeset('x');
    const next = entry(head + 1, valid, tip);
    const frame = (meta: unknown, bytes: Uint8Array, metaLength?: number, size?: bigint) => {
      const json = Buffer.from(typeof meta === 'string' ? meta : JSON.stringify(meta));
      const lengths = Buffer.alloc(12);
      lengths.writeUInt32BE(metaLength ?? json.length, 0);
      lengths.writeBigUInt64BE(size ?? BigInt(bytes.byteLength), 4);
      return Buffer.concat([lengths, json, bytes]);
    };
    const garbage = Buffer.from('garbage with a matching sha256');
    const cases: Array<[string, Buffer, number, string]> = [
      ['an empty batch', Buffer.alloc(0), 400, 'HUB_BAD_REQUEST'],
      ['a batch cut inside its lengths', frame(next, valid).subarray(0, 7), 400, 'HUB_BAD_REQUEST'],
      ['a batch cut inside an entry', frame(next, valid).subarray(0, 40), 400, 'HUB_BAD_REQUEST'],
      ['a metadata length of 0', frame(next, valid, 0), 400, 'HUB_BAD_REQUEST'],
      ['a metadata length of 4 GiB', frame(next, valid, 0xffffffff), 400, 'HUB_BAD_REQUEST'],
      ['metadata that is not JSON', frame('{"seq": 1, not json', valid), 400, 'HUB_BAD_REQUEST'],
      ['an entry declaring 2^63 bytes', frame(next, valid, undefined, 2n ** 63n), 413, 'HUB_BODY_TOO_LARGE'],
      ['a valid entry, then garbage bytes with a matching sha256', Buffer.concat([frame(next, valid), frame(entry(head + 2, garbage, sha256(valid)), garbage)]), 422, 'HUB_APPEND_REFUSED'],
      ['a valid entry, then a gap', Buffer.concat([frame(next, valid), frame(entry(head + 3, valid, sha256(valid)), valid)]), 409, 'HUB_SEQ_GAP'],
    ];
    for (const [what, body, status, code] of cases) {
      expect(await send('PUT', '/app/log', { body }), what).toMatchObject({ status, error: { code } });
      await still(); // head unchanged: not even the valid first entry of a refused batch was stored
    }
  });

  it('refuses snapshots beyond the head, or that are not SQLite files of their claimed size, with 422', async () => {
    const notSqlite = Buffer.alloc(4096, 1);
    const cases: Array<[string, object, Uint8Array, string]> = [
      ['a snapshot beyond the head', snapshotOf(1000, GENESIS), GENESIS, 'beyond-head'],
      ['a snapshot that is not a SQLite file', snapshotOf(head, notSqlite), notSqlite, 'not-sqlite'],
      ['a snapshot shorter than its metadata says', snapshotOf(head, GENESIS), GENESIS.subarray(0, 100), 'checksum'],
      ['a snapshot whose bytes do not match their sha256', { ...snapshotOf(head, GENESIS), sha256: sha256(Buffer.from('other')) }, GENESIS, 'checksum'],
    ];
    for (const [what, meta, bytes, reason] of cases) {
      const answer = await send('PUT', `/app/snapshots/${(meta as { seq: number }).seq}`, framed(meta, bytes));
      expect(answer, what).toMatchObject({ status: 422, error: { code: 'HUB_SNAPSHOT_REFUSED', data: { reason } } });
      expect(readdirSync(join(root, 'app', 'snapshots')).filter((f) => !f.startsWith('0'.repeat(20)))).toEqual([]);
    }
    await still();
  });

  it('still serves replicas afterwards: a clone, a push and a pull work, and verify is green', async () => {
    const b = await cloneReplica(dir, hub, 'b');
    expect(rows(b.paths.db, 't')).toEqual([{ id: 1, v: 'one' }]);
    sql(b.paths.db, "INSERT INTO t VALUES (2, 'two')");
    commitAll(b);
    expect((await pushTo(b, hub)).head).toBe(head + 1);
    const c = await cloneReplica(dir, hub, 'c');
    await pullWith(c, hub);
    expect(rows(c.paths.db, 't')).toEqual([{ id: 1, v: 'one' }, { id: 2, v: 'two' }]);
    for (const r of [b, c]) expect(verify(r).ok).toBe(true);
    expect(child.exitCode).toBeNull();
    expect(stderr).not.toMatch(/TypeError|HUB_SERVER_ERROR/);
  });
});
