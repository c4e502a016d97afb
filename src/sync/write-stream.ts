// A downloaded body written to a new file and fsynced before anyone renames it into place.
import { open } from 'node:fs/promises';

export async function writeStreamDurably(path: string, body: AsyncIterable<Uint8Array>): Promise<void> {
  const fh = await open(path, 'wx');
  try {
    for await (const chunk of body) await fh.write(chunk);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
