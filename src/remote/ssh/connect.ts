// One SSH connection with its SFTP channel, opened with a bounded wait, the host key checked
// and every failure turned into one sentence: nothing listening, no answer, wrong server,
// refused login, no SFTP.
import type { Client, SFTPWrapper } from 'ssh2';
import { SqlferryError } from '../../errors/index.ts';
import { describeSocketError, timedOut, timeoutSeconds, unreachable } from '../errors.ts';
import { hostKeyCheck } from './host-key.ts';
import { authRefused, identities, noIdentity } from './identities.ts';
import type { SshLocation } from './url.ts';

export interface SshSession {
  client: Client;
  sftp: SFTPWrapper;
  /** Set once the connection closes: the next operation opens a new one. */
  closed: boolean;
  /**
   * Rejects when the connection closes. SFTP requests sent after that are never answered (ssh2
   * fails only those pending at the moment of the close), so every operation races this.
   */
  lost: Promise<never>;
}

export async function connectSftp(url: string, at: SshLocation): Promise<SshSession> {
  const ids = await identities(at.user);
  if (ids.methods.length === 0) throw noIdentity(url, ids);
  const hostKey = hostKeyCheck(url, at);
  const seconds = timeoutSeconds();
  const where = `${at.host}:${at.port}`;
  const client: Client = new (await import('ssh2')).default.Client();
  const session = await new Promise<SshSession>((resolve, reject) => {
    client.once('ready', () => {
      client.sftp((err, sftp) => {
        if (err) {
          client.end();
          reject(new SqlferryError('SSH_NO_SFTP', `the SSH server ${where} does not offer SFTP (${err.message})`, {
            data: { url },
            hint: 'sqlferry needs the SFTP subsystem; enable `Subsystem sftp` in the server\'s sshd_config',
          }));
        } else {
          const lost = new Promise<never>((_, fail) => client.once('close', () => fail(new Error('the SSH connection closed'))));
          lost.catch(() => {});
          resolve({ client, sftp, closed: false, lost });
        }
      });
    });
    // Errors may come more than once (a timeout, then the socket's end): a promise settles once,
    // and after 'ready' failures surface through the operation that meets them.
    client.on('error', (err: Error & { level?: string }) => {
      client.end();
      if (hostKey.refusal) reject(hostKey.refusal);
      else if (err.level === 'client-timeout') reject(timedOut(url, `the SSH server ${where}`, seconds, 'connecting'));
      else if (err.level === 'client-authentication') reject(authRefused(url, at.user, ids));
      else reject(unreachable(url, where, describeSocketError(err) ?? err.message, err));
    });
    client.connect({
      host: at.host,
      port: at.port,
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
  client.on('close', () => (session.closed = true));
  return session;
}
