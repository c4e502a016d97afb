// ssh2's client and key parser alone, loaded on first use. Its index (`import 'ssh2'`) also
// loads its SSH server, HTTP agents and key generation, none of which sqlferry uses: ~3 MB of
// memory and ~20 ms of CPU in every SSH command (measured with Node's compile cache warm).
import type { Client, ParsedKey } from 'ssh2';

export async function newClient(): Promise<Client> {
  // @ts-expect-error ssh2 types its index only; lib/client.js is the Client the index exports
  const { default: SshClient } = (await import('ssh2/lib/client.js')) as { default: new () => Client };
  return new SshClient();
}

export async function keyParser(): Promise<(key: Buffer) => ParsedKey | Error> {
  // @ts-expect-error as above: the index's utils.parseKey
  const { default: parser } = (await import('ssh2/lib/protocol/keyParser.js')) as { default: { parseKey: (key: Buffer) => ParsedKey | Error } };
  return parser.parseKey;
}
