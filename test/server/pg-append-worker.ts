// A separate process pushing to a hub through several servers for a while, as a busy replica
// would: each round picks a server, reads the head and appends the next entry. Prints
// "ack SEQ SHA" for every acknowledged append and "error CODE" for every failure, and goes on.
// Usage: node pg-append-worker.ts ID SECONDS URL...
import { openRemote } from '../../src/remote/registry.ts';
import { sha256 } from '../../src/hub/checksum.ts';
import { changeset } from '../remote/hub-fixtures.ts';

const [id, seconds, ...urls] = process.argv.slice(2);
const hubs = await Promise.all(urls.map((u) => openRemote(u)));
const until = Date.now() + Number(seconds) * 1000;
for (let n = 0; Date.now() < until; n++) {
  const hub = hubs[Math.floor(Math.random() * hubs.length)]!;
  try {
    const head = await hub.head();
    const parent = head === 0 ? (await hub.latestSnapshot(0))!.sha256 : (await hub.list(head - 1, 1))[0]!.sha256;
    const bytes = changeset(`${id}:${n}:`, 200 + Math.floor(Math.random() * 5000));
    await hub.append({ seq: head + 1, parent, replica: id!, time: new Date().toISOString(), message: `${id} ${n}`, schema: [], kind: 'changeset', sha256: sha256(bytes), size: bytes.length }, bytes);
    process.stdout.write(`ack ${head + 1} ${sha256(bytes)}\n`);
  } catch (err) {
    process.stdout.write(`error ${(err as { code?: string }).code ?? String(err)}\n`);
    if ((err as { code?: string }).code !== 'HUB_ENTRY_EXISTS') await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
  }
}
await Promise.all(hubs.map((h) => h.close()));
