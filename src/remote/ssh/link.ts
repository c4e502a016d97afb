// The connection a remote works through: opened on first use, opened again after it drops,
// and every failure met on it turned into a typed error that names what was being done.
import type { SFTPWrapper } from 'ssh2';
import { SqlferryError } from '../../errors/index.ts';
import { connectionLost } from '../errors.ts';
import { connectSftp } from './connect.ts';
import { readAhead } from './read-ahead.ts';
import type { SshSession } from './connect.ts';
import type { SshHost } from './config.ts';

const PERMISSION_DENIED = 3;

export class SshLink {
  private readonly url: string;
  private readonly target: SshHost;
  private readonly path: string;
  private session: Promise<SshSession> | undefined;

  constructor(url: string, target: SshHost, path: string) {
    this.url = url;
    this.target = target;
    this.path = path;
  }

  /** Runs one operation on the SFTP channel, mapping whatever goes wrong to a sentence. */
  async run<T>(during: string, op: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
    const session = await this.open();
    try {
      return await session.whileOpen(op(session.sftp));
    } catch (err) {
      throw this.explain(err, session, during);
    }
  }

  /** A file's bytes as they arrive (`size`: where it should end); a dropped link ends the stream with HUB_CONNECTION_LOST. */
  async *stream(during: string, path: string, size: number): AsyncGenerator<Uint8Array> {
    const session = await this.open();
    const chunks = readAhead(session.sftp, path, size);
    try {
      for (;;) {
        const next = await session.whileOpen(chunks.next());
        if (next.done) return;
        yield next.value;
      }
    } catch (err) {
      throw this.explain(err, session, during);
    } finally {
      void chunks.return(undefined).catch(() => {});
    }
  }

  close(): void {
    const session = this.session;
    this.session = undefined;
    void session?.then((s) => s.client.end(), () => {});
  }

  private async open(): Promise<SshSession> {
    const current = this.session && (await this.session.catch(() => undefined));
    if (current && !current.closed) return current;
    const opening = connectSftp(this.url, this.target);
    this.session = opening;
    opening.catch(() => {
      if (this.session === opening) this.session = undefined; // let the next call try again
    });
    return opening;
  }

  private explain(err: unknown, session: SshSession, during: string): unknown {
    if (err instanceof SqlferryError) return err;
    if (session.closed || /No response from server|Not connected|Channel/i.test((err as Error)?.message ?? '')) {
      return connectionLost(this.url, during, err);
    }
    const message = (err as Error)?.message ?? String(err);
    if ((err as { code?: unknown }).code === PERMISSION_DENIED) {
      return new SqlferryError('HUB_PERMISSION_DENIED', `the SSH server for ${this.url} denied permission while ${during}`, {
        data: { url: this.url, during },
        cause: err,
        hint: `the login ${this.target.user} needs read and write access to the hub folder ${this.path}`,
      });
    }
    return new SqlferryError('HUB_SFTP_FAILED', `the SSH server for ${this.url} failed while ${during}: ${message}`, {
      data: { url: this.url, during },
      cause: err,
    });
  }
}
