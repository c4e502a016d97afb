// The transfer alone, as a process of its own (start-up counted, as scp's is): the entries of a
// folder hub appended to another hub in push's batches, or a hub's entries fetched as pull fetches
// them; no replica, so none of push's or pull's other work (content digests, applying rows).
// Usage: node bench/transfer-only.ts push SOURCE_HUB_FOLDER TARGET_URL | pull HUB_URL
// As bin/sqlferry.js does: compiled code cached between runs, so the modules load as the CLI's do.
import { enableCompileCache } from 'node:module';

enableCompileCache?.();
const { openRemote } = await import('../src/remote/registry.ts');
const { BATCH_BYTES, BATCH_ENTRIES, leadingWithin } = await import('../src/hub/batch.ts');
const { fetchEntries } = await import('../src/sync/fetch.ts');

const [mode, a, b] = process.argv.slice(2);
if (mode === 'push') {
  const source = await openRemote(a!);
  const entries = await source.readBatch(0, { limit: Infinity, maxBytes: Infinity });
  const target = await openRemote(b!);
  for (let rest = entries; rest.length > 0;) {
    const batch = leadingWithin(rest.slice(0, BATCH_ENTRIES).map((e) => ({ ...e, size: e.bytes.byteLength })), BATCH_BYTES);
    await target.appendBatch(batch.map(({ meta, bytes }) => ({ meta, bytes })));
    rest = rest.slice(batch.length);
  }
  await Promise.all([source.close(), target.close()]);
} else {
  const hub = await openRemote(a!);
  const genesis = (await hub.latestSnapshot(0))!;
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const spill = mkdtempSync(`${tmpdir()}/sqlferry-fetch-`);
  await fetchEntries(hub, 0, genesis.sha256, (seq) => `${spill}/${seq}`);
  rmSync(spill, { recursive: true });
  await hub.close();
}
