// The client's bearer token: SQLFERRY_TOKEN, or the first line of the file SQLFERRY_TOKEN_FILE
// names. Never a command-line argument (it would show in `ps` and shell history).
import { readFileSync } from 'node:fs';
import { SqlferryError } from '../../errors/index.ts';

export function clientToken(): string | undefined {
  const direct = process.env.SQLFERRY_TOKEN?.trim();
  if (direct) return direct;
  const file = process.env.SQLFERRY_TOKEN_FILE;
  if (!file) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SqlferryError('HUB_TOKEN_FILE_UNREADABLE', `cannot read the token file ${file} named by SQLFERRY_TOKEN_FILE (${(err as Error).message})`, {
      data: { file },
      hint: 'point SQLFERRY_TOKEN_FILE at a file whose first line is the token',
    });
  }
  const token = text.split('\n').map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#'));
  return token?.split(/\s+/)[0];
}
