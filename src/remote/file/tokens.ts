// Tokens kept in a folder store: ROOT/.sqlferry-tokens/<sha256 of the token>.json, one file each,
// published exclusively. A server looks a token up by that name at every request, so a
// revocation (the file removed) holds from the next request on, with no restart. The folder's
// name starts with a dot: no hub can be called that (src/server/routes.ts). A record without
// `tables` (kept before tokens had it) opens every table.
import { mkdir, readFile, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { TokenRecord, TokenStore } from '../../hub/store.ts';
import { parseTokenRecord, storedAccess } from '../../hub/meta.ts';
import { fsyncDir, publishExclusive } from './durable.ts';

const TOKENS_DIR = '.sqlferry-tokens';
const DIGEST = /^[0-9a-f]{64}$/;

export class FolderTokens implements TokenStore {
  private readonly dir: string;

  constructor(root: string) {
    this.dir = join(root, TOKENS_DIR);
  }

  async add(record: TokenRecord, digest: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    if (!(await publishExclusive(join(this.dir, `${digest}.json`), JSON.stringify({ ...record, access: storedAccess(record) })))) throw new Error('a token with that digest already exists');
  }

  async list(): Promise<TokenRecord[]> {
    return (await this.stored()).map((s) => s.record).sort((a, b) => a.created.localeCompare(b.created));
  }

  async revoke(id: string): Promise<boolean> {
    const found = (await this.stored()).find((s) => s.record.id === id);
    if (!found) return false;
    await unlink(join(this.dir, found.name));
    await fsyncDir(this.dir);
    return true;
  }

  async find(digest: string): Promise<TokenRecord | undefined> {
    if (!DIGEST.test(digest)) return undefined;
    const path = join(this.dir, `${digest}.json`);
    const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));
    return text === undefined ? undefined : parseTokenRecord(text, path);
  }

  private async stored(): Promise<Array<{ name: string; record: TokenRecord }>> {
    const names = await readdir(this.dir).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? [] : Promise.reject(err)));
    const files = names.filter((n) => DIGEST.test(n.slice(0, -5)) && n.endsWith('.json'));
    return Promise.all(files.map(async (name) => ({ name, record: parseTokenRecord(await readFile(join(this.dir, name), 'utf8'), join(this.dir, name)) })));
  }
}
