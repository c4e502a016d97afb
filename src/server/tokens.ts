// Bearer tokens for `sqlferry serve`: from SQLFERRY_TOKEN (read-write) and/or a token file, never
// from the command line (it would show in `ps` and shell history).
//
// Token file: one token per line, optionally followed by `read-only` (default `read-write`);
// blank lines and lines starting with # are ignored.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SqlferryError, EXIT } from '../errors/index.ts';

export type Access = 'read' | 'write';
export type Tokens = Array<{ digest: Buffer; access: Access }>;

const MIN_LENGTH = 16;
const digest = (token: string): Buffer => createHash('sha256').update(token).digest();

function badToken(where: string, why: string): SqlferryError {
  return new SqlferryError('SERVE_TOKEN_INVALID', `the token in ${where} ${why}`, {
    data: { where },
    exitCode: EXIT.usage,
    hint: `use a long random token, e.g. \`openssl rand -hex 32\` (at least ${MIN_LENGTH} characters)`,
  });
}

function add(tokens: Tokens, token: string, access: Access, where: string): void {
  if (token.length < MIN_LENGTH) throw badToken(where, `is shorter than ${MIN_LENGTH} characters`);
  tokens.push({ digest: digest(token), access });
}

export function loadTokens(envToken: string | undefined, tokenFile: string | undefined): Tokens {
  const tokens: Tokens = [];
  if (envToken) add(tokens, envToken.trim(), 'write', 'SQLFERRY_TOKEN');
  if (tokenFile) {
    let text: string;
    try {
      text = readFileSync(tokenFile, 'utf8');
    } catch (err) {
      throw new SqlferryError('SERVE_TOKEN_FILE_UNREADABLE', `cannot read the token file ${tokenFile} (${(err as Error).message})`, { exitCode: EXIT.usage });
    }
    for (const [i, line] of text.split('\n').entries()) {
      const [token, mode, ...more] = line.trim().split(/\s+/);
      if (!token || token.startsWith('#')) continue;
      const where = `${tokenFile} line ${i + 1}`;
      if (more.length > 0 || (mode && mode !== 'read-only' && mode !== 'read-write')) throw badToken(where, 'is not followed by read-only, read-write or nothing');
      add(tokens, token, mode === 'read-only' ? 'read' : 'write', where);
    }
  }
  return tokens;
}

/** What an Authorization header grants: an access level, or why not. Compared in constant time. */
export function accessOf(tokens: Tokens, header: string | undefined): Access | 'missing' | 'invalid' {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return 'missing';
  const offered = digest(m[1]!);
  let granted: Access | undefined;
  for (const t of tokens) if (timingSafeEqual(t.digest, offered) && granted !== 'write') granted = t.access;
  return granted ?? 'invalid';
}
