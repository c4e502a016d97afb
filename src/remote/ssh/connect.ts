// One SSH connection with its SFTP channel, opened with a bounded wait, the host key checked
// and every failure turned into one sentence: nothing listening, no answer, wrong server,
// refused login, no SFTP. ProxyJump hops are SSH connections of their own, each carrying the
// next one in a forwarded channel (direct-tcpip), so nothing runs on any host but its sshd.
import type { Client, ClientChannel, SFTPWrapper } from 'ssh2';
import { SqlferryError } from '../../errors/index.ts';
import { describeSocketError, timedOut, timeoutSeconds, unreachable } from '../errors.ts';
import type { SshHost } from './config.ts';
import { hostKeyCheck } from './host-key.ts';
import { authRefused, identities, noIdentity } from './identities.ts';
import { newClient } from './ssh2.ts';
import { coalescedSocket } from './coalesced-socket.ts';

export interface SshSession {
  client: Client;
  sftp: SFTPWrapper;
  /** Set once the connection closes: the next operation opens a new one. */
  closed: boolean;
  /**
   * `op`, or a rejection as soon as the connection closes first: SFTP requests sent after a close
   * are never answered (ssh2 fails only those pending at that moment), so every operation goes
   * through this. Not a Promise.race against one promise that settles at the close: each race
   * would stay attached to it with its result, every chunk read kept alive until the connection ends.
   */
  whileOpen<T>(op: Promise<T>): Promise<T>;
}

export async function connectSftp(url: string, target: SshHost): Promise<SshSession> {
  const hops: Client[] = [];
  const endHops = () => hops.forEach((hop) => hop.end());
  try {
    let through: ClientChannel | undefined;
    for (const [i, hop] of target.jumps.entries()) {
      hops.push(await login(url, hop, through));
      through = await forward(url, hops[i]!, hop, target.jumps[i + 1] ?? target);
    }
    const client = await login(url, target, through);
    client.once('close', endHops);
    const sftp = await new Promise<SFTPWrapper>((resolve, reject) => {
      client.sftp((err, channel) => (err ? reject(noSftp(url, target, err)) : resolve(channel)));
    }).catch((err: unknown) => {
      client.end();
      throw err;
    });
    return openSession(client, sftp);
  } catch (err) {
    endHops();
    throw err;
  }
}

function openSession(client: Client, sftp: SFTPWrapper): SshSession {
  const waiting = new Set<(err: Error) => void>();
  const closedError = () => new Error('the SSH connection closed');
  const session: SshSession = {
    client,
    sftp,
    closed: false,
    whileOpen<T>(op: Promise<T>): Promise<T> {
      if (session.closed) return Promise.reject(closedError());
      return new Promise<T>((resolve, reject) => {
        waiting.add(reject);
        op.then(resolve, reject).finally(() => waiting.delete(reject));
      });
    },
  };
  client.once('close', () => {
    session.closed = true;
    for (const fail of waiting) fail(closedError());
    waiting.clear();
  });
  return session;
}

/** An SSH connection to `at`, logged in; over `through` (a forwarded channel) when it is a hop away. */
async function login(url: string, at: SshHost, through: ClientChannel | undefined): Promise<Client> {
  const ids = await identities(at);
  if (ids.methods.length === 0) throw noIdentity(url, ids);
  const hostKey = hostKeyCheck(url, at);
  // SQLFERRY_TIMEOUT, when set, is the user's word for this run; the config's is a standing default.
  const seconds = process.env.SQLFERRY_TIMEOUT ? timeoutSeconds() : at.connectTimeout ?? timeoutSeconds();
  const where = `${at.host}:${at.port}`;
  const client = await newClient();
  // A direct connection's socket is made here, to send ssh2's writes of one turn together
  // (coalesced-socket.ts); connecting before ssh2 sees it, so that ssh2 waits for it. A hop's
  // channel is ssh2's own.
  const sock = through ?? coalescedSocket({ host: at.host, port: at.port });
  return new Promise<Client>((resolve, reject) => {
    client.once('ready', () => resolve(client));
    // Errors may come more than once (a timeout, then the socket's end): a promise settles once,
    // and after 'ready' failures surface through the operation that meets them.
    client.on('error', (err: Error & { level?: string }) => {
      client.end();
      if (hostKey.refusal) reject(hostKey.refusal);
      else if (err.level === 'client-timeout') reject(timedOut(url, `the SSH server ${where}`, seconds, 'connecting'));
      else if (err.level === 'client-authentication') reject(authRefused(url, at.user, ids));
      else if (err.level === 'handshake') reject(noCommonAlgorithm(url, where, err));
      else reject(unreachable(url, where, describeSocketError(err) ?? err.message, err));
    });
    client.connect({
      host: at.host,
      port: at.port,
      sock,
      username: at.user,
      authHandler: ids.methods,
      hostVerifier: (key: Buffer) => hostKey.verify(key),
      algorithms: { serverHostKey: hostKey.algorithms },
      readyTimeout: seconds * 1000,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 3,
    });
    // SFTP is request/answer: without this, Nagle + delayed ACKs add ~40 ms to every round trip.
    client.setNoDelay(true);
  });
}

/** A channel from the jump host `via` to the next host, for that host's own SSH connection. */
function forward(url: string, client: Client, via: SshHost, next: SshHost): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, next.host, next.port, (err, channel) => {
      if (!err) return resolve(channel);
      reject(new SqlferryError('SSH_JUMP_FAILED', `the jump host ${via.alias} could not open a connection to ${next.host}:${next.port} for ${url} (${err.message})`, {
        data: { url, jump: via.alias, host: next.host, port: next.port },
        hint: `check that ${next.host}:${next.port} is reachable from ${via.alias}, and that its sshd allows TCP forwarding (AllowTcpForwarding)`,
      }));
    });
  });
}

function noCommonAlgorithm(url: string, where: string, err: Error): SqlferryError {
  return new SqlferryError('SSH_HANDSHAKE_FAILED', `the SSH server ${where} and sqlferry share no algorithm to talk with for ${url} (${err.message})`, {
    data: { url, where },
    hint: "the server's sshd_config restricts its algorithms (KexAlgorithms, Ciphers, MACs, HostKeyAlgorithms) to ones sqlferry's SSH library (ssh2) lacks; allow one of OpenSSH's defaults too",
  });
}

function noSftp(url: string, at: SshHost, err: Error): SqlferryError {
  return new SqlferryError('SSH_NO_SFTP', `the SSH server ${at.host}:${at.port} does not offer SFTP (${err.message})`, {
    data: { url },
    hint: 'sqlferry needs the SFTP subsystem; enable `Subsystem sftp` in the server\'s sshd_config',
  });
}
