// The folder engine: a hub as files (layout.ts) over any FolderFs (local disk, SFTP). An entry's
// metadata file appearing is its commit point; the bytes it names are written and made durable
// first, and the loser of a race removes its bytes. The head is found by names (find-head.ts).
// A batch of entries is written in one durable step: every bytes file and every staged metadata
// file fsynced together, then the metadata names linked in order (each exclusive: the first name
// taken ends the batch), then one fsync of the log folder. Filesystems that journal a folder's
// names in order (ext4, xfs, btrfs) never keep a later link without the earlier ones, so a crash
// leaves a prefix of the batch.
import type { Body, EntryMeta, EntryWithBytes, HubInfo, SnapshotMeta } from '../remote.ts';
import type { HubStore } from '../store.ts';
import { entryNotFound, hubNotFound } from '../errors.ts';
import { parseEntryMeta, parseHubInfo, parseSnapshotMeta, storedFile } from '../meta.ts';
import { inWindow, range } from '../../shared/in-window.ts';
import type { FolderFs } from './fs.ts';
import { HUB_FILE, LOG_DIR, SNAPSHOTS_DIR, committedSeq, entryBytesName, metaName, snapshotBytesName, tempName } from './layout.ts';
import { collect } from '../checksum.ts';
import { leadingWithin } from '../batch.ts';
import type { HubFolder } from './layout.ts';
import { HEAD_HINT, findHead, headHint } from './find-head.ts';
import { upToOnePast } from './one-past.ts';
import { pruneFolderHub, type PruneOptions, type PruneReport } from './prune.ts';

type Stored<T> = T & { file: string };

export class FolderStore implements HubStore {
  readonly url: string;
  private readonly fs: FolderFs;
  /** Metadata files read at once by entries(): enough to keep a slow link busy, few enough descriptors. */
  private readonly listWindow: number;
  /** Entry metadata read or published so far: a published entry never changes, so read() reuses what entries() read. */
  private readonly listed = new Map<number, Stored<EntryMeta>>();
  /** sqlferry-hub.json as read once: it never changes after the hub is made. */
  private hubInfo: HubInfo | undefined;
  /** The greatest entry number seen present: the next head() starts there (find-head.ts). */
  private knownHead = 0;

  constructor(url: string, fs: FolderFs, listWindow: number) {
    this.url = url;
    this.fs = fs;
    this.listWindow = listWindow;
  }

  async info(): Promise<HubInfo> {
    if (this.hubInfo) return this.hubInfo;
    const text = await this.fs.readText(HUB_FILE);
    if (text === undefined) throw hubNotFound(this.url);
    this.hubInfo = parseHubInfo(text, `${this.url}/${HUB_FILE}`);
    return this.hubInfo;
  }

  async head(): Promise<number> {
    const head = await findHead({
      exists: (seq) => this.fs.exists(`${LOG_DIR}/${metaName(seq)}`),
      readHint: () => this.fs.readText(`${LOG_DIR}/${HEAD_HINT}`).catch(() => undefined),
      known: this.knownHead,
    });
    if (head === 0) await this.info(); // no entry yet, or no hub at all: say which
    this.knownHead = head;
    return head;
  }

  async entries(after: number, limit: number): Promise<EntryMeta[]> {
    return this.storedEntries(after, limit);
  }

  async entryBatch(after: number, limit: number, maxBytes: number): Promise<EntryWithBytes[]> {
    const batch = leadingWithin(await this.storedEntries(after, limit), maxBytes);
    return inWindow(batch, this.listWindow, async (meta) => ({ meta, bytes: await collect(this.read(`${LOG_DIR}/${meta.file}`, meta.size)) }));
  }

  async entry(seq: number): Promise<{ meta: EntryMeta; body: AsyncIterable<Uint8Array> }> {
    const meta = this.listed.get(seq) ?? (await this.entryMeta(seq));
    return { meta, body: this.read(`${LOG_DIR}/${meta.file}`, meta.size) };
  }

  async appendExclusive(meta: EntryMeta, bytes: Uint8Array): Promise<boolean> {
    return (await this.appendBatchExclusive([{ meta, bytes }])) === 1;
  }

  async appendBatchExclusive(batch: EntryWithBytes[]): Promise<number> {
    const files = batch.map(({ meta, bytes }) => {
      const file = entryBytesName(meta.seq, meta.kind);
      return { seq: meta.seq, bytes: `${LOG_DIR}/${file}`, staged: `${LOG_DIR}/${tempName()}`, data: bytes, record: JSON.stringify({ ...meta, file }) };
    });
    let stored = 0;
    let unsure = 0; // a link that failed without an answer may have happened: its bytes stay
    try {
      await this.fs.writeNewFiles(files.flatMap((f) => [{ name: f.bytes, bytes: f.data }, { name: f.staged, bytes: Buffer.from(f.record) }]));
      for (const f of files) {
        unsure = 1;
        const won = await this.fs.linkExclusive(f.staged, `${LOG_DIR}/${metaName(f.seq)}`);
        unsure = 0;
        if (!won) break;
        stored++;
        this.published(f.seq, f.record);
      }
      if (stored > 0) await this.fs.syncFolder(LOG_DIR);
    } finally {
      await Promise.all([...files.map((f) => this.fs.remove(f.staged)), ...files.slice(stored + unsure).map((f) => this.fs.remove(f.bytes))]);
    }
    // Advice for readers (find-head.ts); the entries are committed whether or not this lands.
    if (stored > 0) await this.fs.overwrite(`${LOG_DIR}/${HEAD_HINT}`, headHint(files[stored - 1]!.seq)).catch(() => {});
    return stored;
  }

  /** Bytes first, as they stream (durable), then the metadata that commits them. */
  async appendStreamExclusive(meta: EntryMeta, body: AsyncIterable<Uint8Array>): Promise<boolean> {
    const file = entryBytesName(meta.seq, meta.kind);
    const record = { ...meta, file };
    const won = await this.publish(LOG_DIR, file, body, metaName(meta.seq), record);
    if (!won) return false;
    this.published(meta.seq, JSON.stringify(record));
    await this.fs.overwrite(`${LOG_DIR}/${HEAD_HINT}`, headHint(meta.seq)).catch(() => {});
    return true;
  }

  async latestSnapshot(atMost: number): Promise<SnapshotMeta | null> {
    let last: number | undefined;
    const found = await this.fs.scan(SNAPSHOTS_DIR, (name) => {
      const seq = committedSeq(name);
      if (seq !== undefined && seq <= atMost && (last === undefined || seq > last)) last = seq;
      return false;
    });
    if (!found) await this.info(); // a missing folder in a real hub means "none yet"
    return last === undefined ? null : this.metaOf(SNAPSHOTS_DIR, last, parseSnapshotMeta);
  }

  async snapshot(seq: number): Promise<{ meta: SnapshotMeta; body: AsyncIterable<Uint8Array> }> {
    const meta = await this.metaOf(SNAPSHOTS_DIR, seq, parseSnapshotMeta);
    return { meta, body: this.read(`${SNAPSHOTS_DIR}/${meta.file}`, meta.size) };
  }

  async writeSnapshotExclusive(meta: SnapshotMeta, body: Body): Promise<boolean> {
    await this.fs.mkdir(SNAPSHOTS_DIR); // hubs of an early sqlferry may lack it
    const file = snapshotBytesName(meta.seq);
    return this.publish(SNAPSHOTS_DIR, file, body, metaName(meta.seq), { ...meta, file });
  }

  async prune(opts: PruneOptions): Promise<PruneReport> {
    await this.info(); // no hub here: say so rather than prune a stranger's folder
    return pruneFolderHub(this.fs, await this.head(), opts);
  }

  close(): Promise<void> {
    return this.fs.close();
  }

  /** A stored file's bytes, as far as its metadata's size and one byte past. */
  private read(name: string, size: number): AsyncIterable<Uint8Array> {
    return upToOnePast(this.fs.stream(name, size), size);
  }

  /** Bytes first (durable), then the metadata that commits them; refused, cut short or beaten: no bytes stay. */
  private async publish(folder: HubFolder, file: string, body: Body, name: string, record: object): Promise<boolean> {
    const bytes = `${folder}/${file}`;
    await this.fs.writeNew(bytes, body).catch(async (err) => {
      await this.fs.remove(bytes);
      throw err;
    });
    const won = await this.fs.publishExclusive(`${folder}/${name}`, JSON.stringify(record));
    if (!won) await this.fs.remove(bytes);
    return won;
  }

  /** Entry `seq` was just published with metadata `record`: known without reading it back. */
  private published(seq: number, record: string): void {
    const where = `${this.url}/${LOG_DIR}/${metaName(seq)}`;
    this.listed.set(seq, storedFile(parseEntryMeta(record, where), where));
    this.knownHead = Math.max(this.knownHead, seq);
  }

  private async storedEntries(after: number, limit: number): Promise<Array<Stored<EntryMeta>>> {
    // Entries are never removed: one seen at after + limit (a batch of entries listed before) needs no head probe.
    const last = this.listed.has(after + limit) ? after + limit : Math.min(await this.head(), after + limit);
    return inWindow(range(after + 1, last), this.listWindow, (seq) => this.entryMeta(seq));
  }

  private async entryMeta(seq: number): Promise<Stored<EntryMeta>> {
    const known = this.listed.get(seq);
    if (known) return known;
    const meta = await this.metaOf(LOG_DIR, seq, parseEntryMeta);
    this.listed.set(seq, meta);
    this.knownHead = Math.max(this.knownHead, seq);
    return meta;
  }

  private async metaOf<T extends Record<string, unknown>>(folder: HubFolder, seq: number, parse: (text: string, where: string) => T): Promise<Stored<T>> {
    const text = await this.fs.readText(`${folder}/${metaName(seq)}`);
    if (text === undefined) throw entryNotFound(this.url, seq, folder === LOG_DIR ? 'entry' : 'snapshot');
    const where = `${this.url}/${folder}/${metaName(seq)}`;
    return storedFile(parse(text, where), where);
  }
}
