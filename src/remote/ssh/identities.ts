// Who we log in as, the way OpenSSH does it: keys held by the agent (SSH_AUTH_SOCK), then the key
// named by SQLFERRY_SSH_KEY or else the default files ~/.ssh/id_ed25519, id_ecdsa, id_rsa.
// Passphrase-protected files cannot be unlocked here: they are skipped and named in the error.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AgentAuthMethod, PublicKeyAuthMethod } from 'ssh2';
import { SqlferryError } from '../../errors/index.ts';

export interface Identities {
  methods: Array<AgentAuthMethod | PublicKeyAuthMethod>;
  /** What was tried, for the sentence shown when the server refuses all of them. */
  tried: string[];
  skipped: string[];
}

export async function identities(user: string): Promise<Identities> {
  const { utils } = (await import('ssh2')).default; // loaded on first use: 70 ms no other command should pay
  const found: Identities = { methods: [], tried: [], skipped: [] };
  const agent = process.env.SSH_AUTH_SOCK;
  if (agent) {
    found.methods.push({ type: 'agent', username: user, agent });
    found.tried.push('the SSH agent');
  }
  const named = process.env.SQLFERRY_SSH_KEY;
  const files = named ? [named] : ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(homedir(), '.ssh', f));
  for (const file of files) {
    let text: Buffer;
    try {
      text = readFileSync(file);
    } catch (err) {
      if (named) throw unreadableKey(file, err);
      continue;
    }
    const key = utils.parseKey(text);
    if (key instanceof Error) {
      found.skipped.push(/passphrase|encrypted/i.test(key.message) ? `${file} (protected by a passphrase: add it to ssh-agent)` : `${file} (${key.message})`);
      continue;
    }
    found.methods.push({ type: 'publickey', username: user, key: text });
    found.tried.push(file);
  }
  return found;
}

export function noIdentity(url: string, found: Identities): SqlferryError {
  const skipped = found.skipped.length ? `; skipped ${found.skipped.join(', ')}` : '';
  return new SqlferryError('SSH_NO_IDENTITY', `no SSH key to log in to ${url} with: no agent (SSH_AUTH_SOCK) and no usable ~/.ssh/id_ed25519, id_ecdsa or id_rsa${skipped}`, {
    data: { url, skipped: found.skipped },
    hint: 'start ssh-agent and `ssh-add` your key, or name a key file with SQLFERRY_SSH_KEY=PATH',
  });
}

export function authRefused(url: string, user: string, found: Identities): SqlferryError {
  const skipped = found.skipped.length ? ` (skipped ${found.skipped.join(', ')})` : '';
  return new SqlferryError('SSH_AUTH_FAILED', `the SSH server for ${url} did not let ${user} log in with ${found.tried.join(', ')}${skipped}`, {
    data: { url, user, tried: found.tried, skipped: found.skipped },
    hint: `add your public key to ~${user}/.ssh/authorized_keys on the server, or check the user name in the URL`,
  });
}

function unreadableKey(file: string, err: unknown): SqlferryError {
  return new SqlferryError('SSH_KEY_UNREADABLE', `cannot read the SSH key ${file} named by SQLFERRY_SSH_KEY (${(err as Error).message})`, {
    data: { file },
    hint: 'set SQLFERRY_SSH_KEY to the path of a private key file, or unset it to use the agent and ~/.ssh/id_*',
  });
}
