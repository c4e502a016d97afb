// Is this the right server? The host key is checked against ~/.ssh/known_hosts (or the config's
// UserKnownHostsFile, and the system file) before anything is sent: unknown hosts are refused
// unless StrictHostKeyChecking accept-new or no, or SQLFERRY_SSH_ACCEPT_NEW=1, records them
// (OpenSSH's accept-new); a changed or revoked key is always refused, whatever the config says.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ServerHostKeyAlgorithm } from 'ssh2';
import { SqlferryError } from '../../errors/index.ts';
import { fingerprint, keyType, knownHostsLine, knownKeys, verdict } from './known-hosts.ts';
import type { SshHost } from './config.ts';
import { knownHostName } from './url.ts';

const ALGORITHMS: ServerHostKeyAlgorithm[] = [
  'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa',
];

const algorithmsOf = (type: string): ServerHostKeyAlgorithm[] =>
  type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : ALGORITHMS.filter((a) => a === type);

export interface HostKeyCheck {
  /** Host key algorithms, those already known for the host first (as OpenSSH orders them). */
  algorithms: ServerHostKeyAlgorithm[];
  verify(key: Buffer): boolean;
  /** Why verify() said no, as the error the user sees. */
  refusal: SqlferryError | undefined;
}

export function hostKeyCheck(url: string, at: SshHost): HostKeyCheck {
  const userFile = at.knownHostsFiles[0]!;
  const name = knownHostName(at.host, at.port);
  const known = knownKeys([...at.knownHostsFiles, '/etc/ssh/ssh_known_hosts'], name);
  const acceptNew = at.strictHostKeyChecking !== 'yes' || process.env.SQLFERRY_SSH_ACCEPT_NEW === '1';
  const preferred = [...new Set(known.filter((k) => !k.revoked).flatMap((k) => algorithmsOf(k.type)))];
  const check: HostKeyCheck = {
    algorithms: [...preferred, ...ALGORITHMS.filter((a) => !preferred.includes(a))],
    refusal: undefined,
    verify(key: Buffer): boolean {
      const v = verdict(known, key);
      if (v === 'known') return true;
      if (v === 'unknown' && acceptNew) {
        mkdirSync(dirname(userFile), { recursive: true, mode: 0o700 });
        appendFileSync(userFile, knownHostsLine(name, key), { mode: 0o600 });
        return true;
      }
      check.refusal = refusal(v, url, name, key, userFile, at);
      return false;
    },
  };
  return check;
}

function refusal(v: 'unknown' | 'changed' | 'revoked', url: string, name: string, key: Buffer, file: string, at: SshHost): SqlferryError {
  const data = { url, host: name, keyType: keyType(key), fingerprint: fingerprint(key), knownHosts: file };
  const port = at.port === 22 ? '' : `-p ${at.port} `;
  if (v === 'unknown') {
    return new SqlferryError('SSH_HOST_UNKNOWN', `the SSH host ${name} is not in ${file}, so sqlferry cannot tell it is the right server (its ${keyType(key)} key is ${fingerprint(key)})`, {
      data,
      hint: `check that fingerprint, then connect once with \`ssh ${port}${at.user}@${at.host}\` and accept it, or run again with SQLFERRY_SSH_ACCEPT_NEW=1 (or StrictHostKeyChecking accept-new in ~/.ssh/config) to record it`,
    });
  }
  const what = v === 'revoked' ? 'is marked @revoked in' : 'does not match the one recorded in';
  return new SqlferryError(v === 'revoked' ? 'SSH_HOST_KEY_REVOKED' : 'SSH_HOST_KEY_CHANGED', `REFUSED: the ${keyType(key)} host key of ${name} (${fingerprint(key)}) ${what} ${file}; someone may be intercepting the connection`, {
    data,
    hint: `if the server was really reinstalled, verify its new key, remove the old one with \`ssh-keygen -R '${name}'\`, then connect again${at.strictHostKeyChecking === 'no' ? ' (StrictHostKeyChecking no only records new hosts: sqlferry never accepts a changed key)' : ''}`,
  });
}
