// OpenSSH's known_hosts, read the way ssh reads it: plain and hashed (|1|salt|hmac) host names,
// comma lists, * and ? wildcards, !negation, [host]:port, @revoked. @cert-authority lines are
// skipped: sqlferry does not verify host certificates.
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface KnownKey {
  type: string;
  blob: Buffer;
  revoked: boolean;
}

export type HostKeyVerdict = 'known' | 'unknown' | 'changed' | 'revoked';

/** The key type named inside an SSH public key blob (its first length-prefixed string). */
export function keyType(blob: Buffer): string {
  if (blob.length < 4) return '';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** How OpenSSH prints a key's fingerprint: SHA256:<unpadded base64>. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** ssh's host patterns: `*` any run, `?` one character, case-insensitive. */
export function globMatch(pattern: string, name: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(name);
}

function hashedMatch(entry: string, name: string): boolean {
  const [, magic, salt, hash] = entry.split('|');
  if (magic !== '1' || !salt || !hash) return false;
  return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
}

/** A host-pattern field matches when some pattern matches and no negated one does. */
function hostsMatch(field: string, name: string): boolean {
  if (field.startsWith('|')) return hashedMatch(field, name);
  let matched = false;
  for (const pattern of field.split(',')) {
    if (pattern.startsWith('!')) {
      if (globMatch(pattern.slice(1), name)) return false;
    } else if (globMatch(pattern, name)) matched = true;
  }
  return matched;
}

/** Every key the files list for `name` (`host` or `[host]:port`); missing files count as empty. */
export function knownKeys(files: string[], name: string): KnownKey[] {
  const keys: KnownKey[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      const fields = line.trim().split(/\s+/);
      if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) continue;
      const marker = fields[0].startsWith('@') ? fields.shift() : undefined;
      if (marker === '@cert-authority') continue;
      const [hosts, type, key] = fields;
      if (!hosts || !type || !key || !hostsMatch(hosts, name)) continue;
      keys.push({ type, blob: Buffer.from(key, 'base64'), revoked: marker === '@revoked' });
    }
  }
  return keys;
}

export function verdict(known: KnownKey[], offered: Buffer): HostKeyVerdict {
  const type = keyType(offered);
  if (known.some((k) => k.revoked && k.blob.equals(offered))) return 'revoked';
  const valid = known.filter((k) => !k.revoked);
  if (valid.some((k) => k.type === type && k.blob.equals(offered))) return 'known';
  return valid.some((k) => k.type === type) ? 'changed' : 'unknown';
}

/** The line OpenSSH's accept-new would add (unhashed, like HashKnownHosts no). */
export function knownHostsLine(name: string, blob: Buffer): string {
  return `${name} ${keyType(blob)} ${blob.toString('base64')}\n`;
}
