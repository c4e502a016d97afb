// The folder a folder hub's URL names, read without loading the folder engine (`remote add`
// checks URLs of every scheme; registry.ts loads a transport only when it opens one).
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqlferryError, EXIT } from '../../errors/index.ts';

/** The folder a file URL or path names, absolute. */
export function folderOf(url: string): string {
  if (url.startsWith('file:')) {
    try {
      return fileURLToPath(url);
    } catch {
      throw new SqlferryError('REMOTE_URL_INVALID', `${url} is not a valid file:// URL (write file:///absolute/path)`, { data: { url }, exitCode: EXIT.usage });
    }
  }
  return isAbsolute(url) ? url : resolve(url);
}
