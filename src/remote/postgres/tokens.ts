// Tokens kept in the PostgreSQL store (sqlferry_tokens): only their sha256, looked up at every
// request by every server, so a revocation holds from the next request on, everywhere. A row
// from before tokens had `tables` holds NULL there: every table.
import type { TokenRecord, TokenStore } from '../../hub/store.ts';
import { SqlferryError } from '../../errors/index.ts';
import { storedAccess, tokenAccess } from '../../hub/meta.ts';
import type { PgDatabase } from './database.ts';

interface Row {
  id: string;
  hub: string | null;
  access: string;
  tables: string[] | null;
  expires: Date | null;
  created: Date;
}

const COLUMNS = 'id, hub, access, tables, expires, created';

function record(r: Row, url: string): TokenRecord {
  const access = tokenAccess(r.access, r.tables);
  if (!access) throw new SqlferryError('HUB_STORE_FAILED', `the token ${r.id} in the PostgreSQL database of ${url} has an access sqlferry does not know (${JSON.stringify(r.access)})`, { data: { url } });
  return { id: r.id, hub: r.hub, ...access, expires: r.expires?.toISOString() ?? null, created: r.created.toISOString() };
}

export class PgTokens implements TokenStore {
  private readonly db: PgDatabase;
  private readonly url: string;

  constructor(db: PgDatabase, url: string) {
    this.db = db;
    this.url = url;
  }

  async add(t: TokenRecord, digest: string): Promise<void> {
    await this.db.query(this.url, 'INSERT INTO sqlferry_tokens (id, digest, hub, access, tables, expires, created) VALUES ($1, $2, $3, $4, $5, $6, $7)', [t.id, digest, t.hub, storedAccess(t), t.tables, t.expires, t.created]);
  }

  async list(): Promise<TokenRecord[]> {
    return (await this.db.query<Row>(this.url, `SELECT ${COLUMNS} FROM sqlferry_tokens ORDER BY created, id`, [])).map((r) => record(r, this.url));
  }

  async revoke(id: string): Promise<boolean> {
    return (await this.db.query(this.url, 'DELETE FROM sqlferry_tokens WHERE id = $1 RETURNING id', [id])).length > 0;
  }

  async find(digest: string): Promise<TokenRecord | undefined> {
    const [row] = await this.db.query<Row>(this.url, `SELECT ${COLUMNS} FROM sqlferry_tokens WHERE digest = $1`, [digest]);
    return row && record(row, this.url);
  }
}
