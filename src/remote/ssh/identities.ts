// Who we log in as, the way OpenSSH does it: keys held by the agent (SSH_AUTH_SOCK, left out by
// IdentitiesOnly yes), then the key named by SQLFERRY_SSH_KEY, else the IdentityFile lines of
// ~/.ssh/config in order, else the default files ~/.ssh/id_ed25519, id_ecdsa, id_rsa.
// Passphrase-protected files cannot be unlocked here: they are skipped and named in the error.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AgentAuthMethod, PublicKeyAuthMethod } from 'ssh2';
import { SqlferryError } from '../../errors/index.ts';
import type { SshHost } from './config.ts';
import { keyParser } from './ssh2.ts';

export interface Identities {
  methods: Array<AgentAuthMethod | PublicKeyAuthMethod>;
  /** What was tried, for the sentence shown when the server refuses all of them. */
  tried: string[];
  skipped: string[];
  /** Where key files were looked for, for the sentence shown when there is none. */
  lookedIn: string;
}

export async function identities(target: SshHost): Promise<Identities> {
  const parseKey = await keyParser();
  const named = process.env.SQLFERRY_SSH_KEY;
  const configured = target.identityFiles.length > 0;
  const files = named ? [named] : configured ? target.identityFiles : ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(homedir(), '.ssh', f));
  const lookedIn = named || configured ? files.join(', ') : '~/.ssh/id_ed25519, id_ecdsa or id_rsa';
  const found: Identities = { methods: [], tried: [], skipped: [], lookedIn };
  const agent = process.env.SSH_AUTH_SOCK;
  if (agent && !target.identitiesOnly) {
    found.methods.push({ type: 'agent', username: target.user, agent });
    found.tried.push('the SSH agent');
  }
  for (const file of files) {
    let text: Buffer;
    try {
      text = readFileSync(file);
    } catch (err) {
      if (named) throw unreadableKey(file, err);
      if (configured) found.skipped.push(`${file} (${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message})`);
      continue;
    }
    const key = parseKey(text);
    if (key instanceof Error) {
      found.skipped.push(/passphrase|encrypted/i.test(key.message) ? `${file} (protected by a passphrase: add it to ssh-agent)` : `${file} (${key.message})`);
      continue;
    }
    found.methods.push({ type: 'publickey', username: target.user, key: text });
    found.tried.push(file);
  }
  return found;
}

export function noIdentity(url: string, found: Identities): SqlferryError {
  const skipped = found.skipped.length ? `; skipped ${found.skipped.join(', ')}` : '';
  return new SqlferryError('SSH_NO_IDENTITY', `no SSH key to log in to ${url} with: no agent (SSH_AUTH_SOCK) and no usable ${found.lookedIn}${skipped}`, {
    data: { url, skipped: found.skipped },
    hint: 'start ssh-agent and `ssh-add` your key, or name a key file with IdentityFile in ~/.ssh/config or SQLFERRY_SSH_KEY=PATH',
  });
}

export function authRefused(url: string, user: string, found: Identities): SqlferryError {
  const skipped = found.skipped.length ? ` (skipped ${found.skipped.join(', ')})` : '';
  return new SqlferryError('SSH_AUTH_FAILED', `the SSH server for ${url} did not let ${user} log in with ${found.tried.join(', ')}${skipped}`, {
    data: { url, user, tried: found.tried, skipped: found.skipped },
    hint: `add your public key to ~${user}/.ssh/authorized_keys on the server, or check the user name in the URL or in ~/.ssh/config`,
  });
}

function unreadableKey(file: string, err: unknown): SqlferryError {
  return new SqlferryError('SSH_KEY_UNREADABLE', `cannot read the SSH key ${file} named by SQLFERRY_SSH_KEY (${(err as Error).message})`, {
    data: { file },
    hint: 'set SQLFERRY_SSH_KEY to the path of a private key file, or unset it to use the agent and ~/.ssh/id_*',
  });
}
