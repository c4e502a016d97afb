// One PostgreSQL database through a pool of the maintained `pg` client: the tables created once
// (under an advisory lock, so servers starting together do not race), every query's failure
// turned into one sentence, and "PostgreSQL is down or restarting" told apart as
// HUB_STORE_UNAVAILABLE (503 with Retry-After from `serve`): a transaction it cut short left nothing.
import type pg from 'pg';
import { SqlferryError } from '../../errors/index.ts';
import { timeoutSeconds } from '../errors.ts';
import { passwordFor } from './password.ts';
import type { PasswordFor } from './password.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sqlferry_hubs (name text PRIMARY KEY, info text NOT NULL);
CREATE TABLE IF NOT EXISTS sqlferry_entries (
  hub text NOT NULL REFERENCES sqlferry_hubs (name), seq bigint NOT NULL, meta text NOT NULL, PRIMARY KEY (hub, seq));
CREATE TABLE IF NOT EXISTS sqlferry_snapshots (
  hub text NOT NULL REFERENCES sqlferry_hubs (name), seq bigint NOT NULL, meta text NOT NULL, PRIMARY KEY (hub, seq));
CREATE TABLE IF NOT EXISTS sqlferry_chunks (
  hub text NOT NULL, what "char" NOT NULL, seq bigint NOT NULL, n integer NOT NULL, data bytea NOT NULL,
  PRIMARY KEY (hub, what, seq, n));
CREATE TABLE IF NOT EXISTS sqlferry_tokens (
  id text PRIMARY KEY, digest text NOT NULL UNIQUE, hub text, access text NOT NULL, expires timestamptz, created timestamptz NOT NULL);
ALTER TABLE sqlferry_tokens ADD COLUMN IF NOT EXISTS tables text[];
`;

/** How long a client is told to wait before trying again while PostgreSQL is unavailable. */
const RETRY_AFTER_SECONDS = 5;

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006']);

function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
  return /Connection terminated|timeout exceeded when trying to connect|connection error|Client was closed/i.test((err as Error)?.message ?? '');
}

function explain(err: unknown, url: string): SqlferryError {
  if (err instanceof SqlferryError) return err;
  const why = (err as Error)?.message ?? String(err);
  if (isUnavailable(err)) {
    // The cause stays out of the message: a server sends the message to clients, and logs the cause.
    return new SqlferryError('HUB_STORE_UNAVAILABLE', `the PostgreSQL database of ${url} is unavailable`, {
      data: { url, retryAfter: RETRY_AFTER_SECONDS },
      cause: err,
      hint: 'nothing was half-written; try again in a few seconds, or check that PostgreSQL is running',
    });
  }
  return new SqlferryError('HUB_STORE_FAILED', `the PostgreSQL database of ${url} failed: ${why}`, { data: { url }, cause: err });
}

/**
 * Every call names the hub (or store) it is for, as messages should: a server's hubs share one
 * database, and a client of the server must see /NAME, never the database's address.
 */
export class PgDatabase {
  private readonly connectionString: string;
  private pool: pg.Pool | undefined;
  private schema: Promise<void> | undefined;

  constructor(connectionString: string) {
    this.connectionString = connectionString;
  }

  async query<R extends pg.QueryResultRow>(url: string, text: string, params: unknown[]): Promise<R[]> {
    const pool = await this.ready(url);
    return (await pool.query<R>(text, params).catch((err) => Promise.reject(explain(err, url)))).rows;
  }

  /** Runs `body` in one transaction: committed when it returns true, rolled back when false or on any error. */
  async transaction(url: string, body: (client: pg.PoolClient) => Promise<boolean>): Promise<boolean> {
    const pool = await this.ready(url);
    const client = await pool.connect().catch((err) => Promise.reject(explain(err, url)));
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const commit = await body(client);
      await client.query(commit ? 'COMMIT' : 'ROLLBACK');
      return commit;
    } catch (err) {
      await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      throw explain(err, url);
    } finally {
      client.release(broken);
    }
  }

  async end(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    this.schema = undefined;
    await pool?.end().catch(() => {});
  }

  /** The pool, once the tables exist. `pg` is loaded on first use: commands that never touch PostgreSQL do not pay for it. */
  private async ready(url: string): Promise<pg.Pool> {
    this.schema ??= this.createSchema().catch((err) => {
      this.schema = undefined; // try again at the next call
      throw err;
    });
    await this.schema.catch((err) => Promise.reject(explain(err, url)));
    return this.pool!;
  }

  private async createSchema(): Promise<void> {
    if (!this.pool) {
      const { default: pgModule } = await import('pg');
      class PasswordClient extends pgModule.Client {
        constructor(config?: pg.ClientConfig) {
          super(config);
          // pg lets a connection string's (empty) password win over a `password` option, so it is set
          // here; pg calls it with the connection's parameters when the server asks for one.
          Object.defineProperty(this, 'password', { value: (p: PasswordFor) => passwordFor(p), writable: true, configurable: true, enumerable: false });
          // A connection PostgreSQL ends while a request holds it (a restart) emits 'error' on the
          // client as well as failing its query: unheard, that event would end the whole server.
          this.on('error', () => {});
        }
      }
      this.pool = new pgModule.Pool({
        Client: PasswordClient,
        connectionString: this.connectionString,
        max: 8,
        idleTimeoutMillis: 10_000,
        connectionTimeoutMillis: timeoutSeconds() * 1000,
      });
      this.pool.on('error', () => {}); // an idle connection died (PostgreSQL restarted): the pool drops it and opens another
    }
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query("SELECT pg_advisory_xact_lock(hashtext('sqlferry schema'))");
      await client.query(SCHEMA);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }
}
