// Tokens kept in the PostgreSQL store (sqlferry_tokens): only their sha256, looked up at every
// request by every server, so a revocation holds from the next request on, everywhere.
import type { TokenRecord, TokenStore } from '../../hub/store.ts';
import type { PgDatabase } from './database.ts';

interface Row {
  id: string;
  hub: string | null;
  access: 'read' | 'write';
  expires: Date | null;
  created: Date;
}

const COLUMNS = 'id, hub, access, expires, created';
const record = (r: Row): TokenRecord => ({ id: r.id, hub: r.hub, access: r.access, expires: r.expires?.toISOString() ?? null, created: r.created.toISOString() });

export class PgTokens implements TokenStore {
  private readonly db: PgDatabase;
  private readonly url: string;

  constructor(db: PgDatabase, url: string) {
    this.db = db;
    this.url = url;
  }

  async add(t: TokenRecord, digest: string): Promise<void> {
    await this.db.query(this.url, 'INSERT INTO sqlferry_tokens (id, digest, hub, access, expires, created) VALUES ($1, $2, $3, $4, $5, $6)', [t.id, digest, t.hub, t.access, t.expires, t.created]);
  }

  async list(): Promise<TokenRecord[]> {
    return (await this.db.query<Row>(this.url, `SELECT ${COLUMNS} FROM sqlferry_tokens ORDER BY created, id`, [])).map(record);
  }

  async revoke(id: string): Promise<boolean> {
    return (await this.db.query(this.url, 'DELETE FROM sqlferry_tokens WHERE id = $1 RETURNING id', [id])).length > 0;
  }

  async find(digest: string): Promise<TokenRecord | undefined> {
    const [row] = await this.db.query<Row>(this.url, `SELECT ${COLUMNS} FROM sqlferry_tokens WHERE digest = $1`, [digest]);
    return row && record(row);
  }
}
