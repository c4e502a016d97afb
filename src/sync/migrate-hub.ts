// `sqlferry hub migrate FROM TO`: a hub copied between any two stores (folder, SSH, PostgreSQL,
// a server), keeping its id so its replicas follow it with `remote set-url`. Every byte is
// checked twice: against its sha256 as it is read (the hub's read rule), and by the target's
// append and snapshot checks (size, sha256, the parent chain, the changeset itself). A target
// holding the start of the same hub (an earlier migration cut short) is continued from its head.
import { SqlferryError } from '../errors/index.ts';
import { collect } from '../hub/checksum.ts';
import type { HubInfo, Remote, SnapshotMeta } from '../hub/remote.ts';
import { createHub, openRemote } from '../remote/registry.ts';
import { streamed } from '../shared/pieces.ts';

export interface MigrateResult {
  hubId: string;
  head: number;
  /** Entries and snapshots copied by this run (a continued migration copies only the rest). */
  entries: number;
  snapshots: number;
  continuedFrom: number;
}

/** Every snapshot of the hub, ascending: few, each costs a database's worth of log. */
async function snapshotsOf(hub: Remote, head: number): Promise<SnapshotMeta[]> {
  const found: SnapshotMeta[] = [];
  for (let s = await hub.latestSnapshot(head); s; s = s.seq === 0 ? null : await hub.latestSnapshot(s.seq - 1)) found.unshift(s);
  return found;
}

async function target(url: string, info: HubInfo): Promise<Remote> {
  try {
    return await createHub(url, info);
  } catch (err) {
    if (!(err instanceof SqlferryError) || err.code !== 'HUB_EXISTS') throw err;
  }
  const to = await openRemote(url);
  if ((await to.info()).hubId !== info.hubId) {
    await to.close();
    throw new SqlferryError('HUB_MIGRATE_TARGET_TAKEN', `${url} already holds another hub`, { data: { url }, hint: 'migrate to a new place, or remove that hub first' });
  }
  return to;
}

async function copySnapshot(from: Remote, to: Remote, seq: number): Promise<boolean> {
  const { meta, body } = await from.readSnapshot(seq);
  return to.writeSnapshot(meta, body).then(() => true, (err) => {
    if (err instanceof SqlferryError && err.code === 'HUB_SNAPSHOT_EXISTS') return false;
    throw err;
  });
}

export async function migrateHub(fromUrl: string, toUrl: string, progress: (seq: number, head: number) => void = () => {}): Promise<MigrateResult> {
  const from = await openRemote(fromUrl);
  try {
    const info = await from.info();
    const head = await from.head();
    const snapshots = await snapshotsOf(from, head);
    const to = await target(toUrl, info);
    try {
      const start = await to.head();
      if (start > head) throw new SqlferryError('HUB_MIGRATE_TARGET_AHEAD', `${toUrl} has ${start} entries, more than ${fromUrl} (${head})`, { data: { from: fromUrl, to: toUrl } });
      if (start > 0) {
        const [theirs] = await to.list(start - 1, 1);
        const [ours] = await from.list(start - 1, 1);
        if (theirs?.sha256 !== ours?.sha256) throw new SqlferryError('HUB_MIGRATE_DIVERGED', `${toUrl} holds another entry ${start} than ${fromUrl}`, { data: { from: fromUrl, to: toUrl, seq: start } });
      }
      let copied = 0;
      for (const s of snapshots.filter((s) => s.seq <= start)) if (await copySnapshot(from, to, s.seq)) copied++;
      for (let seq = start + 1; seq <= head; seq++) {
        const { meta, body } = await from.read(seq);
        if (streamed(meta.size)) await to.appendStream(meta, body); // a large entry is never held whole
        else await to.append(meta, await collect(body));
        if (snapshots.some((s) => s.seq === seq) && (await copySnapshot(from, to, seq))) copied++;
        progress(seq, head);
      }
      return { hubId: info.hubId, head, entries: head - start, snapshots: copied, continuedFrom: start };
    } finally {
      await to.close();
    }
  } finally {
    await from.close();
  }
}
