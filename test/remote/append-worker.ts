// A separate process that appends to a hub: used to race appenders and to kill one mid-append.
// Usage: node append-worker.ts URL ID COUNT SIZE   (prints "won SEQ" per entry it appended;
// the hub needs its genesis snapshot)
import { openRemote } from '../../src/remote/registry.ts';
import { sha256 } from '../../src/hub/checksum.ts';
import { changeset } from './hub-fixtures.ts';

const [url, id, count, size] = process.argv.slice(2);
const remote = await openRemote(url!);
let won = 0;
while (won < Number(count)) {
  const head = await remote.head();
  const parent = head === 0 ? (await remote.latestSnapshot(0))!.sha256 : (await remote.list(head - 1))[0]!.sha256;
  const bytes = changeset(`${id}:${head + 1}:`, Number(size));
  try {
    await remote.append(
      { seq: head + 1, parent, replica: id!, time: new Date().toISOString(), message: `from ${id}`, schema: [], kind: 'changeset', sha256: sha256(bytes), size: bytes.length },
      bytes,
    );
    won++;
    process.stdout.write(`won ${head + 1}\n`);
  } catch (err) {
    if ((err as { code?: string }).code !== 'HUB_ENTRY_EXISTS') throw err;
  }
}
await remote.close();
