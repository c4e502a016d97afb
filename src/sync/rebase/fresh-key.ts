// The key `rekey` gives a local row whose INTEGER PRIMARY KEY the hub already used: one past
// every key in play — the rows the table holds now (the hub's, and the local changes already
// re-applied), the keys the local changes still to come will write, and, for an AUTOINCREMENT
// table, every key this replica ever handed out. Not count(*)+1 (keys have gaps), and not the
// table's largest alone (a later local insert would then collide with the rekeyed row).
import type { DatabaseSync } from 'node:sqlite';
import { iterateChanges } from '../../changeset/index.ts';
import { quoteIdent } from '../../changeset/value.ts';
import { keyOf, type Values } from '../rows.ts';
import type { Shapes, TableShape } from '../table-shape.ts';
import { rowId } from './context.ts';

export class FreshKeys {
  private readonly db: DatabaseSync;
  private readonly shapes: Shapes;
  private readonly local: Uint8Array;
  private highestLocal: Map<string, bigint> | undefined;
  private localNames: Set<string> | undefined;
  /** Keys handed out already: never twice, even when a rekeyed row did not stay there (a conflict record names it). */
  private readonly handed = new Map<string, bigint>();

  /** `local`: the squashed local changes being re-applied. */
  constructor(db: DatabaseSync, shapes: Shapes, local: Uint8Array) {
    this.db = db;
    this.shapes = shapes;
    this.local = local;
  }

  /** A key for `shape` that no row, no local change and no earlier answer uses. */
  next(shape: TableShape): Values {
    const table = quoteIdent(shape.name);
    const stmt = this.db.prepare(`SELECT max(rowid) AS top FROM main.${table}`);
    stmt.setReadBigInts(true);
    const held = (stmt.get() as { top: bigint | null }).top ?? 0n;
    const top = [held, this.handedOut(shape.name), this.localKeys().get(shape.name) ?? 0n, this.handed.get(shape.name) ?? 0n].reduce((a, b) => (b > a ? b : a));
    this.handed.set(shape.name, top + 1n);
    return [{ type: 'integer', value: top + 1n }];
  }

  /** Whether a local change names `key` in `shape`: a key a handler gives must not be one (a later local insert would meet the moved row). */
  namedLocally(shape: TableShape, key: Values): boolean {
    this.localKeys();
    return this.localNames!.has(rowId(shape.name, key));
  }

  /** The largest integer key each table's local changes name (old or new). */
  private localKeys(): Map<string, bigint> {
    if (this.highestLocal) return this.highestLocal;
    const highest = new Map<string, bigint>();
    const named = new Set<string>();
    for (const c of iterateChanges(this.local)) {
      const shape = this.shapes.of(c.table.name);
      named.add(rowId(shape.name, keyOf(shape, (c.op === 'INSERT' ? c.new : c.old)!)));
      if (!shape.integerKey) continue;
      const v = (c.op === 'INSERT' ? c.new : c.old)?.[shape.pk[0]!];
      if (v?.type === 'integer' && v.value > (highest.get(shape.name) ?? 0n)) highest.set(shape.name, v.value);
    }
    this.highestLocal = highest;
    this.localNames = named;
    return highest;
  }

  private handedOut(table: string): bigint {
    const exists = this.db.prepare("SELECT 1 FROM main.sqlite_schema WHERE name = 'sqlite_sequence'").get();
    if (!exists) return 0n;
    const stmt = this.db.prepare('SELECT seq FROM main.sqlite_sequence WHERE name = ?');
    stmt.setReadBigInts(true);
    return (stmt.get(table) as { seq: bigint | null } | undefined)?.seq ?? 0n;
  }
}
