// Recording what a run of statements does to the live database, inside its transaction, as
// one changeset: what exec, apply and a pull's rebase commit. A session records the tables
// with a PRIMARY KEY; it cannot record a table tracked by rowid (node:sqlite does not offer
// SQLITE_SESSION_OBJCONFIG_ROWID), so for those:
// - an ordinary table gets TEMP triggers (on this connection only, never in the file) that
//   keep each touched row's first image: the cost follows the change;
// - a full-text or R*Tree table (no triggers possible) is copied into a TEMP table first when
//   the caller names it (`snapshot`), and compared after.
// A virtual table's shadow tables, which the session sees its module write, are left out.
import type { DatabaseSync } from 'node:sqlite';
import { withoutTables } from '../../changeset/index.ts';
import type { Change, SqlValue, TableHeader } from '../../changeset/types.ts';
import { writeChangeset } from '../../changeset/writer.ts';
import { quoteIdent } from '../../changeset/value.ts';
import { headerOf, updateOf } from '../capture/capture.ts';
import { readSchema, trackedTables, type TableInfo } from '../schema/schema-read.ts';
import { exactColumnList, readValues } from '../capture/values.ts';
import { realDefaultsIn, withRealDefaults } from '../capture/real-defaults.ts';

interface RowidLog {
  table: TableInfo;
  log: string;
  /** The log holds every row (a snapshot): rows missing from it are inserts. */
  complete: boolean;
}

export class ChangeRecorder {
  private readonly db: DatabaseSync;
  private readonly session: ReturnType<DatabaseSync['createSession']>;
  private readonly shadow: Set<string>;
  private readonly logs: RowidLog[] = [];
  private readonly temp: string[] = [];
  /** Virtual tables tracked by rowid that this recorder does not follow (not in `snapshot`). */
  readonly unfollowed: TableInfo[] = [];

  /** Start recording on `db` (inside its transaction); `snapshot` picks the virtual tables to follow. */
  constructor(db: DatabaseSync, snapshot: (table: TableInfo) => boolean = () => false) {
    this.db = db;
    const schema = readSchema(db);
    this.shadow = new Set(shadowTables(db));
    trackedTables(schema).forEach((table, i) => {
      if (table.rowid === undefined) return;
      const log = `sqlferry_rowlog_${i}`;
      const virtual = isVirtual(db, table.name);
      if (virtual && !snapshot(table)) {
        this.unfollowed.push(table);
        return;
      }
      this.temp.push(`DROP TABLE IF EXISTS temp.${log}`);
      const cols = table.columns.map((_, j) => `c${j}`);
      if (virtual) {
        const r = quoteIdent(table.rowid);
        db.exec(`CREATE TEMP TABLE ${log} AS SELECT ${r} AS k, 1 AS present, ${table.columns.map((c, j) => `${quoteIdent(c.name)} AS c${j}`).join(', ')} FROM main.${quoteIdent(table.name)}`);
        this.logs.push({ table, log, complete: true });
        return;
      }
      db.exec(`CREATE TEMP TABLE ${log}(k INTEGER PRIMARY KEY, present, ${cols.join(', ')})`);
      for (const sql of triggers(table, log)) {
        db.exec(sql.create);
        this.temp.push(sql.drop);
      }
      this.logs.push({ table, log, complete: false });
    });
    this.session = db.createSession();
  }

  changeset(): Uint8Array {
    const sessions = withoutTables(this.session.changeset(), (name) => this.shadow.has(name.toLowerCase()));
    // The schema as it is now: the statements recorded may have added the columns.
    const recorded = withRealDefaults(sessions, realDefaultsIn(readSchema(this.db)));
    const rowid = writeChangeset('changeset', this.rowidChanges());
    if (rowid.length === 0) return recorded;
    const out = new Uint8Array(recorded.length + rowid.length);
    out.set(recorded);
    out.set(rowid, recorded.length);
    return out;
  }

  close(): void {
    this.session.close();
    for (const sql of this.temp.reverse()) this.db.exec(sql);
  }

  private *rowidChanges(): Generator<Change> {
    for (const { table, log, complete } of this.logs) {
      const header = headerOf(table);
      const n = table.columns.length + 1;
      const r = quoteIdent(table.rowid!);
      const before = exactColumnList('L', ['k', ...table.columns.map((_, j) => `c${j}`)]);
      const after = exactColumnList('A', [table.rowid!, ...table.columns.map((c) => c.name)]);
      const t = `main.${quoteIdent(table.name)}`;
      for (const row of rows(this.db, `SELECT L.present, ${before}, ${after} FROM temp.${log} AS L LEFT JOIN ${t} AS A ON A.${r} = L.k ORDER BY L.k`)) {
        const change = changeOf(header, row[0] === 1n ? readValues(row, 1, n) : undefined, row[1 + 2 * n] === 'null' ? undefined : readValues(row, 1 + 2 * n, n));
        if (change) yield change;
      }
      if (!complete) continue;
      for (const row of rows(this.db, `SELECT ${after} FROM ${t} AS A WHERE A.${r} NOT IN (SELECT k FROM temp.${log})`)) {
        yield { table: header, op: 'INSERT', indirect: false, old: undefined, new: readValues(row, 0, n) };
      }
    }
  }
}

function changeOf(header: TableHeader, before: SqlValue[] | undefined, after: SqlValue[] | undefined): Change | undefined {
  if (before === undefined && after === undefined) return undefined;
  if (before === undefined) return { table: header, op: 'INSERT', indirect: false, old: undefined, new: after };
  if (after === undefined) return { table: header, op: 'DELETE', indirect: false, old: before, new: undefined };
  const update = updateOf(header, before, after);
  return update.new!.some((v) => v.type !== 'undefined') ? update : undefined;
}

/**
 * TEMP triggers keeping the first image of every row a statement touches (present = 0: it did
 * not exist). A trigger's own INSERT OR IGNORE would take the outer statement's conflict clause
 * (an app's INSERT OR REPLACE would replace the first image), so the first image is kept by
 * NOT EXISTS instead.
 */
function triggers(table: TableInfo, log: string): Array<{ create: string; drop: string }> {
  const t = `main.${quoteIdent(table.name)}`;
  const r = quoteIdent(table.rowid!);
  const old = table.columns.map((c) => `OLD.${quoteIdent(c.name)}`).join(', ');
  const firstImage = (key: string, values: string) => `INSERT INTO temp.${log} SELECT ${key}, ${values} WHERE NOT EXISTS (SELECT 1 FROM temp.${log} WHERE k = ${key})`;
  const cols = table.columns.map(() => 'NULL').join(', ');
  const body = {
    BEFORE_UPDATE: firstImage(`OLD.${r}`, `1, ${old}`),
    BEFORE_DELETE: firstImage(`OLD.${r}`, `1, ${old}`),
    AFTER_UPDATE: firstImage(`NEW.${r}`, `0, ${cols}`),
    AFTER_INSERT: firstImage(`NEW.${r}`, `0, ${cols}`),
  };
  return Object.entries(body).map(([when, action]) => {
    const name = `${log}_${when.toLowerCase()}`;
    return { create: `CREATE TEMP TRIGGER ${name} ${when.replace('_', ' ')} ON ${t} BEGIN ${action}; END`, drop: `DROP TRIGGER IF EXISTS temp.${name}` };
  });
}

function isVirtual(db: DatabaseSync, name: string): boolean {
  return (db.prepare("SELECT type FROM pragma_table_list WHERE schema = 'main' AND name = ?").get(name) as { type: string } | undefined)?.type === 'virtual';
}

function shadowTables(db: DatabaseSync): string[] {
  return (db.prepare("SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'shadow'").all() as Array<{ name: string }>).map((r) => r.name.toLowerCase());
}

function* rows(db: DatabaseSync, sql: string): Generator<unknown[]> {
  const stmt = db.prepare(sql);
  stmt.setReadBigInts(true);
  stmt.setReturnArrays(true);
  yield* stmt.iterate() as Iterable<unknown[]>;
}
