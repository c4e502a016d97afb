// ssh2's client and key parser alone, loaded on first use. Its index (`import 'ssh2'`) also
// loads its SSH server, HTTP agents and key generation, none of which sqlferry uses.
// ssh2 also instantiates, as it loads, a WebAssembly poly1305 (for the chacha20-poly1305 cipher,
// when its optional native binding is absent, as in an npm install without build tools): ~4 MB
// resident and its compile in every SSH command. sqlferry offers only the AES ciphers, which
// node:crypto does natively, so a stand-in that is never called takes that module's place as ssh2
// loads (a loader hook, removed once loaded); every stock OpenSSH (6.2 and later) allows
// aes128-gcm@openssh.com and aes*-ctr. The single executable bundles the same stand-in (bin/build-sea.ts).
import { registerHooks } from 'node:module';
import type { CipherAlgorithm, Client, ParsedKey } from 'ssh2';

/** What sqlferry offers, most preferred first: AES-GCM, then AES-CTR (sshd's defaults include both). */
export const CIPHERS: CipherAlgorithm[] = ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr'];

/** ssh2's poly1305 module, as its loader names it. */
export const POLY1305 = /[\\/]ssh2[\\/]lib[\\/]protocol[\\/]crypto[\\/]poly1305\.js$/;
/** Answers what crypto.js asks of the real module at load time; a cipher never negotiated never calls it. */
export const POLY1305_STAND_IN = `module.exports = async () => ({ _malloc: () => 0, cwrap: () => () => { throw new Error('chacha20-poly1305 is not among the ciphers sqlferry offers'); } });`;

/** `load()` with ssh2's poly1305 module replaced by the stand-in while it runs (the hook sees every module loaded meanwhile). */
async function withoutPoly1305<T>(load: () => Promise<T>): Promise<T> {
  const hooks = registerHooks({
    load: (url, context, next) => (POLY1305.test(url) ? { format: 'commonjs', source: POLY1305_STAND_IN, shortCircuit: true } : next(url, context)),
  });
  try {
    return await load();
  } finally {
    hooks.deregister();
  }
}

export async function newClient(): Promise<Client> {
  // @ts-expect-error ssh2 types its index only; lib/client.js is the Client the index exports
  const { default: SshClient } = (await withoutPoly1305(() => import('ssh2/lib/client.js'))) as { default: new () => Client };
  return new SshClient();
}

export async function keyParser(): Promise<(key: Buffer) => ParsedKey | Error> {
  // @ts-expect-error as above: the index's utils.parseKey
  const { default: parser } = (await withoutPoly1305(() => import('ssh2/lib/protocol/keyParser.js'))) as { default: { parseKey: (key: Buffer) => ParsedKey | Error } };
  return parser.parseKey;
}
