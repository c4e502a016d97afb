// The password, the PostgreSQL way and never from a URL: PGPASSWORD, else the password file
// (PGPASSFILE or ~/.pgpass: `host:port:database:user:password` lines, `*` matches anything,
// `\` escapes `:` and `\`; ignored unless only its owner may read it, as libpq does).
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface PasswordFor {
  host: string;
  port: number;
  database: string;
  user: string;
}

/** The fields of one pgpass line, escapes undone; undefined for a comment or a short line. */
function fieldsOf(line: string): string[] | undefined {
  if (line.startsWith('#') || line.trim() === '') return undefined;
  const fields: string[] = [];
  let field = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) field += line[++i];
    else if (c === ':' && fields.length < 4) {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field);
  return fields.length === 5 ? fields : undefined;
}

export async function passwordFor(at: PasswordFor): Promise<string | undefined> {
  if (process.env.PGPASSWORD !== undefined) return process.env.PGPASSWORD;
  const file = process.env.PGPASSFILE ?? join(homedir(), '.pgpass');
  const mode = await stat(file).then((s) => s.mode, () => undefined);
  if (mode === undefined || (mode & 0o077) !== 0) return undefined;
  const text = await readFile(file, 'utf8').catch(() => '');
  const want = [at.host, String(at.port), at.database, at.user];
  for (const line of text.split(/\r?\n/)) {
    const fields = fieldsOf(line);
    if (fields && want.every((w, i) => fields[i] === '*' || fields[i] === w)) return fields[4];
  }
  return undefined;
}
