// conflicts.db in the sidecar: every conflict a pull met, with both row versions exact, which
// one the resolution discarded, the handler, and the time. Nothing a resolution drops is lost.
import { DatabaseSync } from 'node:sqlite';
import { SqlferryError } from '../../errors/index.ts';
import type { ExactRow } from './exact-json.ts';

/** What SQLite's conflict kinds mean to a user (the handler contract uses the same names). */
export type ConflictKind = 'primary-key' | 'unique' | 'data' | 'not-found' | 'foreign-key';

export type Discarded = 'local' | 'remote' | 'both' | 'none';

export interface ConflictRecord {
  id: number;
  time: string;
  kind: ConflictKind;
  table: string;
  primaryKey: ExactRow;
  handler: string;
  resolution: string;
  /** This replica's version (null: it deleted the row), the hub's (null: none), and what the database holds now. */
  local: ExactRow | null;
  remote: ExactRow | null;
  result: ExactRow | null;
  discarded: Discarded;
  /** The hub entry the local change was rebased onto. */
  hubSeq: number;
  restoredAt: string | null;
}

export type NewConflict = Omit<ConflictRecord, 'id' | 'time' | 'restoredAt'>;

const SCHEMA = `CREATE TABLE IF NOT EXISTS conflicts (
  id INTEGER PRIMARY KEY, time TEXT NOT NULL, kind TEXT NOT NULL, table_name TEXT NOT NULL,
  primary_key TEXT NOT NULL, handler TEXT NOT NULL, resolution TEXT NOT NULL,
  local TEXT, remote TEXT, result TEXT, discarded TEXT NOT NULL, hub_seq INTEGER NOT NULL, restored_at TEXT,
  pull_id TEXT NOT NULL, ordinal INTEGER NOT NULL, UNIQUE (pull_id, ordinal))`;

interface StoredRow {
  id: number;
  time: string;
  kind: ConflictKind;
  table_name: string;
  primary_key: string;
  handler: string;
  resolution: string;
  local: string | null;
  remote: string | null;
  result: string | null;
  discarded: Discarded;
  hub_seq: number;
  restored_at: string | null;
}

const parse = (text: string | null): ExactRow | null => (text === null ? null : (JSON.parse(text) as ExactRow));

function fromStored(r: StoredRow): ConflictRecord {
  return {
    id: r.id, time: r.time, kind: r.kind, table: r.table_name, primaryKey: parse(r.primary_key)!, handler: r.handler,
    resolution: r.resolution, local: parse(r.local), remote: parse(r.remote), result: parse(r.result),
    discarded: r.discarded, hubSeq: r.hub_seq, restoredAt: r.restored_at,
  };
}

export class ConflictStore {
  private readonly db: DatabaseSync;

  constructor(path: string) {
    this.db = new DatabaseSync(path, { timeout: 5000 });
    this.db.exec('PRAGMA journal_mode = WAL');
    this.db.exec(SCHEMA);
  }

  /**
   * Records a pull's conflicts in one transaction, after the pull's database transaction
   * committed. Idempotent per pull: recovery after a crash may record the same pull again.
   */
  addAll(pullId: string, conflicts: readonly NewConflict[], time = new Date().toISOString()): void {
    if (conflicts.length === 0) return;
    const insert = this.db.prepare(
      'INSERT OR IGNORE INTO conflicts (time, kind, table_name, primary_key, handler, resolution, local, remote, result, discarded, hub_seq, pull_id, ordinal) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)',
    );
    const json = (r: ExactRow | null) => (r ? JSON.stringify(r) : null);
    this.db.exec('BEGIN IMMEDIATE');
    try {
      conflicts.forEach((c, n) => {
        insert.run(time, c.kind, c.table, JSON.stringify(c.primaryKey), c.handler, c.resolution, json(c.local), json(c.remote), json(c.result), c.discarded, c.hubSeq, pullId, n);
      });
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  /** The conflicts one pull recorded. */
  ofPull(pullId: string): ConflictRecord[] {
    return (this.db.prepare('SELECT * FROM conflicts WHERE pull_id = ? ORDER BY id').all(pullId) as unknown as StoredRow[]).map(fromStored);
  }

  list(opts: { all?: boolean } = {}): ConflictRecord[] {
    const where = opts.all ? '' : 'WHERE restored_at IS NULL';
    return (this.db.prepare(`SELECT * FROM conflicts ${where} ORDER BY id`).all() as unknown as StoredRow[]).map(fromStored);
  }

  get(id: number): ConflictRecord {
    const row = this.db.prepare('SELECT * FROM conflicts WHERE id = ?').get(id) as StoredRow | undefined;
    if (!row) {
      throw new SqlferryError('CONFLICT_NOT_FOUND', `there is no conflict ${id}`, { data: { id }, hint: 'sqlferry conflicts list shows them' });
    }
    return fromStored(row);
  }

  markRestored(id: number, time = new Date().toISOString()): void {
    this.db.prepare('UPDATE conflicts SET restored_at = ? WHERE id = ?').run(time, id);
  }

  close(): void {
    this.db.close();
  }
}
