// A hub in a folder (local disk, NFS). Layout in docs/ARCHITECTURE.md: an entry's metadata
// file appearing is its commit point; the bytes it names are written and fsynced first.
import { access, readFile, readdir, unlink, mkdir, writeFile } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type { Body, EntryMeta, HubInfo, Remote, SnapshotMeta } from '../../hub/remote.ts';
import { EntryExistsError, SnapshotExistsError, entryNotFound, hubNotFound } from '../../hub/errors.ts';
import { checkAppend } from '../../hub/check-append.ts';
import { checkSnapshot } from '../../hub/check-snapshot.ts';
import { parseEntryMeta, parseHubInfo, parseSnapshotMeta, entryMeta, snapshotMeta } from '../../hub/meta.ts';
import { verified } from '../../hub/checksum.ts';
import { HUB_FILE, committedSeqs, entryBytesName, metaName, snapshotBytesName } from '../../hub/layout.ts';
import { HEAD_HINT, findHead, headHint } from '../../hub/find-head.ts';
import { inWindow, range } from '../../shared/in-window.ts';
import { publishExclusive, writeNewFile } from './durable.ts';

export { HUB_FILE };

/** Entries up to this size are read in one call (fewer, larger reads); bigger ones stream. */
const ONE_READ = 16 * 1024 * 1024;
/** Metadata files read at once by list(): enough to overlap, few enough file descriptors. */
const LIST_WINDOW = 64;

async function* bodyOf(path: string, size: number): AsyncGenerator<Uint8Array> {
  if (size <= ONE_READ) yield await readFile(path);
  else yield* createReadStream(path);
}

export class FileRemote implements Remote {
  readonly url: string;
  readonly dir: string;
  /** Entry metadata read so far, by seq. */
  private readonly listed = new Map<number, EntryMeta & { file: string }>();

  constructor(url: string, dir: string) {
    this.url = url;
    this.dir = dir;
  }

  async info(): Promise<HubInfo> {
    const path = join(this.dir, HUB_FILE);
    const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') throw hubNotFound(this.url);
      throw err;
    });
    return parseHubInfo(text, path);
  }

  async head(): Promise<number> {
    const log = join(this.dir, 'log');
    const head = await findHead({
      exists: (seq) => access(join(log, metaName(seq))).then(() => true, () => false),
      readHint: () => readFile(join(log, HEAD_HINT), 'utf8').catch(() => undefined),
    });
    if (head === 0) await this.info(); // no entry yet, or no hub at all: say which
    return head;
  }

  async list(after: number, limit = Infinity): Promise<EntryMeta[]> {
    const last = Math.min(await this.head(), after + limit);
    return inWindow(range(after + 1, last), LIST_WINDOW, async (seq) => entryMeta(await this.entryMetaOf(seq)));
  }

  async read(seq: number): Promise<{ meta: EntryMeta; body: AsyncIterable<Uint8Array> }> {
    // A published entry never changes: what list() read is reused (its bytes are still checked).
    const meta = this.listed.get(seq) ?? (await this.entryMetaOf(seq));
    return { meta: entryMeta(meta), body: verified(`hub entry ${seq}`, meta, bodyOf(join(this.dir, 'log', meta.file), meta.size)) };
  }

  async append(meta: EntryMeta, bytes: Uint8Array): Promise<void> {
    await checkAppend(this, meta, bytes);
    const file = entryBytesName(meta.seq, meta.kind);
    const path = join(this.dir, 'log', file);
    await writeNewFile(path, bytes);
    const won = await publishExclusive(join(this.dir, 'log', metaName(meta.seq)), JSON.stringify({ ...entryMeta(meta), file }));
    if (!won) {
      await unlink(path).catch(() => {});
      throw new EntryExistsError(this.url, meta.seq);
    }
    // Advice for readers (find-head.ts); the entry is committed whether or not this lands.
    await writeFile(join(this.dir, 'log', HEAD_HINT), headHint(meta.seq)).catch(() => {});
  }

  async latestSnapshot(atMost = Infinity): Promise<SnapshotMeta | null> {
    const seqs = (await this.snapshotSeqs()).filter((s) => s <= atMost);
    const last = seqs[seqs.length - 1];
    return last === undefined ? null : snapshotMeta(await this.snapshotMetaOf(last));
  }

  async readSnapshot(seq: number): Promise<{ meta: SnapshotMeta; body: AsyncIterable<Uint8Array> }> {
    const meta = await this.snapshotMetaOf(seq);
    const stream = createReadStream(join(this.dir, 'snapshots', meta.file));
    return { meta: snapshotMeta(meta), body: verified(`hub snapshot ${seq}`, meta, stream) };
  }

  async writeSnapshot(meta: SnapshotMeta, body: Body): Promise<void> {
    const checked = await checkSnapshot(this, meta, body);
    await mkdir(join(this.dir, 'snapshots'), { recursive: true });
    const file = snapshotBytesName(meta.seq);
    const path = join(this.dir, 'snapshots', file);
    await writeNewFile(path, checked).catch(async (err) => {
      await unlink(path).catch(() => {}); // refused or cut short: no metadata names it, and no bytes stay
      throw err;
    });
    const won = await publishExclusive(join(this.dir, 'snapshots', metaName(meta.seq)), JSON.stringify({ ...snapshotMeta(meta), file }));
    if (!won) {
      await unlink(path).catch(() => {});
      throw new SnapshotExistsError(this.url, meta.seq);
    }
  }

  async close(): Promise<void> {}

  /** The committed snapshot numbers: only metadata files count, never bytes or temp files. Few: each costs a database's worth of log. */
  private async snapshotSeqs(): Promise<number[]> {
    const names = await readdir(join(this.dir, 'snapshots')).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      await this.info(); // a missing folder in a real hub means "none yet"; no hub at all is an error
      return [] as string[];
    });
    return committedSeqs(names);
  }

  private async entryMetaOf(seq: number): Promise<EntryMeta & { file: string }> {
    const path = join(this.dir, 'log', metaName(seq));
    const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw entryNotFound(this.url, seq);
      throw err;
    });
    const meta = parseEntryMeta(text, path);
    this.listed.set(seq, meta);
    return meta;
  }

  private async snapshotMetaOf(seq: number): Promise<SnapshotMeta & { file: string }> {
    const path = join(this.dir, 'snapshots', metaName(seq));
    const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw entryNotFound(this.url, seq, 'snapshot');
      throw err;
    });
    return parseSnapshotMeta(text, path);
  }
}
