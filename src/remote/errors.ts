// Errors of transports that cross a network (ssh, http): one sentence each, with what to do.
import { SqlferryError } from '../errors/index.ts';

/**
 * The link broke while bytes were moving. Appends are atomic on every transport, so an entry is
 * either whole on the hub or absent: retrying (or pulling) is always safe.
 */
export function connectionLost(url: string, during: string, cause?: unknown): SqlferryError {
  return new SqlferryError('HUB_CONNECTION_LOST', `the connection to ${url} dropped while ${during}`, {
    data: { url, during },
    cause,
    hint: 'nothing half-written is ever visible on the hub; check the network and run the command again',
  });
}

export function unreachable(url: string, where: string, why: string, cause?: unknown): SqlferryError {
  return new SqlferryError('HUB_UNREACHABLE', `cannot connect to ${where} for ${url}: ${why}`, {
    data: { url, where, why },
    cause,
    hint: 'check the host name and port in the remote URL (`sqlferry remote list`) and that the server is running',
  });
}

export function timedOut(url: string, where: string, seconds: number, during: string): SqlferryError {
  return new SqlferryError('HUB_TIMEOUT', `${where} did not answer within ${seconds} s while ${during} (${url})`, {
    data: { url, where, seconds, during },
    hint: 'check the network, or allow more time with SQLFERRY_TIMEOUT=SECONDS',
  });
}

/** How long a network transport waits for a connection, or for any progress on one. */
export function timeoutSeconds(): number {
  const raw = process.env.SQLFERRY_TIMEOUT;
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(n) && n > 0 ? n : 30;
}

/** Network error codes that mean "nobody answered there", with the words a user knows them by. */
export function describeSocketError(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  const words: Record<string, string> = {
    ECONNREFUSED: 'connection refused (nothing is listening on that port)',
    ENOTFOUND: 'no such host',
    EAI_AGAIN: 'the host name could not be resolved right now',
    EHOSTUNREACH: 'no route to the host',
    ENETUNREACH: 'the network is unreachable',
    ETIMEDOUT: 'the connection attempt timed out',
    UND_ERR_CONNECT_TIMEOUT: 'the connection attempt timed out',
    ECONNRESET: 'the connection was reset',
  };
  return typeof code === 'string' ? words[code] : undefined;
}
