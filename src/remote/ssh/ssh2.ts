// ssh2's client and key parser alone, loaded on first use. Its index (`import 'ssh2'`) also
// loads its SSH server, HTTP agents and key generation, none of which sqlferry uses.
// ssh2 also instantiates, as it loads, a WebAssembly poly1305 (for the chacha20-poly1305 cipher,
// when its optional native binding is absent, as in an npm install without build tools): ~4 MB
// resident and its compile in every SSH command. sqlferry offers only the AES ciphers, which
// node:crypto does natively, so that module is put in ssh2's place as a stand-in that is never
// called; every stock OpenSSH (6.2 and later) offers aes128-gcm@openssh.com and aes*-ctr.
import { createRequire } from 'node:module';
import type { CipherAlgorithm, Client, ParsedKey } from 'ssh2';

/** What sqlferry offers, most preferred first: AES-GCM, then AES-CTR (sshd's defaults include both). */
export const CIPHERS: CipherAlgorithm[] = ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr'];

let standIn = false;

/** Before ssh2 first loads: its poly1305 module answered from the module cache by a stand-in. */
function withoutPoly1305(): void {
  if (standIn) return;
  standIn = true;
  const require = createRequire(import.meta.url);
  const path = require.resolve('ssh2/lib/protocol/crypto/poly1305.js');
  if (require.cache[path]) return; // already loaded by someone else: nothing left to save
  const unused = () => {
    throw new Error('chacha20-poly1305 is not among the ciphers sqlferry offers');
  };
  const module = new (require('node:module') as typeof import('node:module')).Module(path);
  module.filename = path;
  module.loaded = true;
  module.exports = async () => ({ _malloc: () => 0, cwrap: () => unused });
  require.cache[path] = module;
}

export async function newClient(): Promise<Client> {
  withoutPoly1305();
  // @ts-expect-error ssh2 types its index only; lib/client.js is the Client the index exports
  const { default: SshClient } = (await import('ssh2/lib/client.js')) as { default: new () => Client };
  return new SshClient();
}

export async function keyParser(): Promise<(key: Buffer) => ParsedKey | Error> {
  withoutPoly1305();
  // @ts-expect-error as above: the index's utils.parseKey
  const { default: parser } = (await import('ssh2/lib/protocol/keyParser.js')) as { default: { parseKey: (key: Buffer) => ParsedKey | Error } };
  return parser.parseKey;
}
