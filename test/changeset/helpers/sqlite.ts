// Real node:sqlite databases for the codec tests: open, snapshot contents exactly, apply strictly.
import { DatabaseSync, constants } from 'node:sqlite';

export function openMemory(schemaSql: string): DatabaseSync {
  const db = new DatabaseSync(':memory:');
  db.exec(schemaSql);
  return db;
}

function userTables(db: DatabaseSync): string[] {
  const rows = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all();
  return rows.map((r) => String(r.name));
}

function exact(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'bigint') return `i:${v}`;
  if (typeof v === 'number') {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, v);
    return `r:${view.getBigUint64(0).toString(16)}`;
  }
  if (typeof v === 'string') return `t:${JSON.stringify(v)}`;
  return `b:${Buffer.from(v as Uint8Array).toString('hex')}`;
}

/** Every row of every table, values with their storage class and exact bits, sorted: equal strings mean equal databases. */
export function contents(db: DatabaseSync): string {
  const out: string[] = [];
  for (const table of userTables(db)) {
    const cols = db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table).map((r) => `"${String(r.name).replaceAll('"', '""')}"`);
    const select = cols.map((c) => `typeof(${c}), ${c}`).join(', ');
    const stmt = db.prepare(`SELECT ${select} FROM "${table.replaceAll('"', '""')}"`);
    stmt.setReadBigInts(true);
    stmt.setReturnArrays(true);
    const rows = (stmt.all() as unknown as unknown[][]).map((r) => r.map(exact).join(' ')).sort();
    out.push(`${table}:\n${rows.join('\n')}`);
  }
  return out.join('\n');
}

/** Apply and fail loudly on any conflict: the codec's output must apply cleanly where the original would. */
export function applyStrict(db: DatabaseSync, bytes: Uint8Array): void {
  const conflicts: number[] = [];
  const ok = db.applyChangeset(bytes, {
    onConflict: (kind) => {
      conflicts.push(kind);
      return constants.SQLITE_CHANGESET_ABORT;
    },
  });
  if (!ok || conflicts.length > 0) throw new Error(`applyChangeset aborted (conflict kinds ${conflicts.join(', ')})`);
}
