// A hub on any SSH server, over plain SFTP: the folder layout of src/hub/layout.ts, the same
// commit point (a metadata file created exclusively), nothing installed on the server.
import { posix } from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import type { Body, EntryMeta, HubInfo, Remote, SnapshotMeta } from '../../hub/remote.ts';
import { EntryExistsError, SnapshotExistsError, entryNotFound, hubNotFound } from '../../hub/errors.ts';
import { checkAppend } from '../../hub/check-append.ts';
import { checkSnapshot } from '../../hub/check-snapshot.ts';
import { parseEntryMeta, parseHubInfo, parseSnapshotMeta, entryMeta, snapshotMeta } from '../../hub/meta.ts';
import { verified } from '../../hub/checksum.ts';
import { HUB_FILE, LOG_DIR, SNAPSHOTS_DIR, committedSeqs, entryBytesName, metaName, snapshotBytesName } from '../../hub/layout.ts';
import type { HubFolder } from '../../hub/layout.ts';
import { exists, overwriteText, publishExclusive, readText, readdirNames, removeQuietly, writeNewFile } from './sftp.ts';
import { HEAD_HINT, findHead, headHint } from '../../hub/find-head.ts';
import { inWindow, range } from '../../shared/in-window.ts';
import { SshLink } from './link.ts';

/** Metadata files read at once by list(): each is a round trip, so a window keeps a slow link busy. */
const LIST_WINDOW = 32;

export class SshRemote implements Remote {
  readonly url: string;
  private readonly dir: string;
  private readonly link: SshLink;

  constructor(url: string, link: SshLink, dir: string) {
    this.url = url;
    this.link = link;
    this.dir = dir;
  }

  async info(): Promise<HubInfo> {
    const path = posix.join(this.dir, HUB_FILE);
    const text = await this.link.run('reading the hub info', (sftp) => readText(sftp, path));
    if (text === undefined) throw hubNotFound(this.url);
    return parseHubInfo(text, `${this.url}/${HUB_FILE}`);
  }

  async head(): Promise<number> {
    const log = posix.join(this.dir, LOG_DIR);
    const head = await this.link.run('finding the hub head', (sftp) => findHead({
      exists: (seq) => exists(sftp, posix.join(log, metaName(seq))),
      readHint: () => readText(sftp, posix.join(log, HEAD_HINT)).catch(() => undefined),
    }));
    if (head === 0) await this.info(); // no entry yet, or no hub at all: say which
    return head;
  }

  async list(after: number, limit = Infinity): Promise<EntryMeta[]> {
    const last = Math.min(await this.head(), after + limit);
    return inWindow(range(after + 1, last), LIST_WINDOW, async (seq) => entryMeta(await this.metaOf(LOG_DIR, seq, parseEntryMeta)));
  }

  async read(seq: number): Promise<{ meta: EntryMeta; body: AsyncIterable<Uint8Array> }> {
    const meta = await this.metaOf(LOG_DIR, seq, parseEntryMeta);
    const bytes = this.link.stream(`reading entry ${seq}`, posix.join(this.dir, LOG_DIR, meta.file));
    return { meta: entryMeta(meta), body: verified(`hub entry ${seq}`, meta, bytes) };
  }

  async append(meta: EntryMeta, bytes: Uint8Array): Promise<void> {
    await checkAppend(this, meta, bytes);
    const file = entryBytesName(meta.seq, meta.kind);
    const won = await this.publish(`appending entry ${meta.seq}`, LOG_DIR, file, bytes, metaName(meta.seq), { ...entryMeta(meta), file });
    if (!won) throw new EntryExistsError(this.url, meta.seq);
    // Advice for readers (find-head.ts); the entry is committed whether or not this lands.
    await this.link.run('noting the hub head', (sftp) => overwriteText(sftp, posix.join(this.dir, LOG_DIR, HEAD_HINT), headHint(meta.seq))).catch(() => {});
  }

  async latestSnapshot(atMost = Infinity): Promise<SnapshotMeta | null> {
    const last = (await this.snapshotSeqs()).filter((s) => s <= atMost).pop();
    return last === undefined ? null : snapshotMeta(await this.metaOf(SNAPSHOTS_DIR, last, parseSnapshotMeta));
  }

  async readSnapshot(seq: number): Promise<{ meta: SnapshotMeta; body: AsyncIterable<Uint8Array> }> {
    const meta = await this.metaOf(SNAPSHOTS_DIR, seq, parseSnapshotMeta);
    const bytes = this.link.stream(`reading snapshot ${seq}`, posix.join(this.dir, SNAPSHOTS_DIR, meta.file));
    return { meta: snapshotMeta(meta), body: verified(`hub snapshot ${seq}`, meta, bytes) };
  }

  async writeSnapshot(meta: SnapshotMeta, body: Body): Promise<void> {
    const checked = await checkSnapshot(this, meta, body);
    const file = snapshotBytesName(meta.seq);
    const won = await this.publish(`writing snapshot ${meta.seq}`, SNAPSHOTS_DIR, file, checked, metaName(meta.seq), { ...snapshotMeta(meta), file });
    if (!won) throw new SnapshotExistsError(this.url, meta.seq);
  }

  async close(): Promise<void> {
    this.link.close();
  }

  /** Bytes first (fsynced), then the metadata that commits them; the loser of a race removes its bytes. */
  private async publish(during: string, folder: HubFolder, file: string, body: Body, name: string, record: object): Promise<boolean> {
    const dir = posix.join(this.dir, folder);
    return this.link.run(during, async (sftp) => {
      await writeNewFile(sftp, posix.join(dir, file), body).catch(async (err) => {
        await removeQuietly(sftp, posix.join(dir, file)); // refused or cut short: no bytes stay
        throw err;
      });
      const won = await publishExclusive(sftp, dir, name, JSON.stringify(record));
      if (!won) await removeQuietly(sftp, posix.join(dir, file));
      return won;
    });
  }

  /** The committed snapshot numbers (a few: each costs a database's worth of log). */
  private async snapshotSeqs(): Promise<number[]> {
    const names = await this.link.run('listing the hub', (sftp: SFTPWrapper) => readdirNames(sftp, posix.join(this.dir, SNAPSHOTS_DIR)));
    if (names !== undefined) return committedSeqs(names);
    await this.info(); // a missing folder in a real hub means "none yet"; no hub at all is an error
    return [];
  }

  private async metaOf<T>(folder: HubFolder, seq: number, parse: (text: string, where: string) => T): Promise<T> {
    const path = posix.join(this.dir, folder, metaName(seq));
    const text = await this.link.run(`reading ${folder} ${seq}`, (sftp) => readText(sftp, path));
    if (text === undefined) throw entryNotFound(this.url, seq, folder === LOG_DIR ? 'entry' : 'snapshot');
    return parse(text, `${this.url}/${folder}/${metaName(seq)}`);
  }
}
