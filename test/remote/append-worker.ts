// A separate process that appends to a hub: used to race appenders and to kill one mid-append.
// Usage: node append-worker.ts URL ID COUNT SIZE [BATCH]   (prints "won SEQ" per entry it
// appended; with BATCH > 1 it appends that many entries per call; the hub needs its genesis snapshot)
import { openRemote } from '../../src/remote/registry.ts';
import { sha256 } from '../../src/hub/checksum.ts';
import type { EntryWithBytes } from '../../src/hub/remote.ts';
import { changeset } from './hub-fixtures.ts';

const [url, id, count, size, batchSize] = process.argv.slice(2);
const remote = await openRemote(url!);
let won = 0;
while (won < Number(count)) {
  const head = await remote.head();
  let parent = head === 0 ? (await remote.latestSnapshot(0))!.sha256 : (await remote.list(head - 1))[0]!.sha256;
  const batch: EntryWithBytes[] = [];
  for (let seq = head + 1; seq <= head + Math.min(Number(batchSize ?? 1), Number(count) - won); seq++) {
    const bytes = changeset(`${id}:${seq}:`, Number(size));
    const meta = { seq, parent, replica: id!, time: new Date().toISOString(), message: `from ${id}`, schema: [], kind: 'changeset' as const, sha256: sha256(bytes), size: bytes.length };
    batch.push({ meta, bytes });
    parent = meta.sha256;
  }
  let stored = batch.length;
  try {
    await (batch.length === 1 ? remote.append(batch[0]!.meta, batch[0]!.bytes) : remote.appendBatch(batch));
  } catch (err) {
    if ((err as { code?: string }).code !== 'HUB_ENTRY_EXISTS') throw err;
    stored = Number((err as { data?: { stored?: number } }).data?.stored ?? 0);
  }
  for (const { meta } of batch.slice(0, stored)) process.stdout.write(`won ${meta.seq}\n`);
  won += stored;
}
await remote.close();
