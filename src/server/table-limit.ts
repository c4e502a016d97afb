// A token limited to tables (`sqlferry token add --tables …`) writes through this store: an entry
// is stored only when its schema statements and its changes touch listed tables alone, checked
// after the hub's own checks (so the bytes parse) and before anything is stored. Snapshots and
// new hubs are refused whole: a snapshot is a whole database the hub cannot read, and a hub
// starts from one. Names compare as SQLite compares them: ASCII letters case-insensitively.
import { SqlferryError, EXIT } from '../errors/index.ts';
import { changedTables } from '../changeset/index.ts';
import { PieceCutter } from '../changeset/pieces.ts';
import { pieceBytes } from '../shared/pieces.ts';
import { classifySchemaStatement } from '../hub/schema-rule.ts';
import type { SchemaStatement, SchemaStatementKind } from '../hub/schema-rule.ts';
import type { Body, EntryMeta, EntryWithBytes, HubInfo, SnapshotMeta } from '../hub/remote.ts';
import type { HubStore, Store } from '../hub/store.ts';

export const foldName = (name: string): string => name.replace(/[A-Z]+/g, (s) => s.toLowerCase());

const named = (tables: readonly string[]): string => `the table${tables.length === 1 ? '' : 's'} ${tables.map((t) => JSON.stringify(t)).join(', ')}`;

function notAllowed(url: string, tables: readonly string[], refused: string, why: string, data: Record<string, unknown>, entry: boolean): SqlferryError {
  return new SqlferryError('HUB_TABLE_NOT_ALLOWED', `the hub at ${url} refused ${refused}: ${why}, and this token may write only ${named(tables)}`, {
    data: { url, tables, ...data },
    exitCode: EXIT.rejected,
    hint: entry
      ? 'nothing was stored, and this replica keeps its commits: push them with a token that may do this (the server\'s operator makes one with `sqlferry token add --tables …`, or without --tables)'
      : 'start hubs and upload their snapshots with a token not limited to tables',
  });
}

/**
 * What each kind of schema statement does, and whether to the table it names (allowed when that
 * table is listed). The others name no table the hub could check: a trigger's body may write any
 * table, and a dropped index's table is not in the statement.
 */
const SCHEMA: Record<SchemaStatementKind, { does: string; onTable: boolean }> = {
  'create-table': { does: 'creates the table', onTable: true },
  'create-virtual-table': { does: 'creates the virtual table', onTable: true },
  'add-column': { does: 'adds a column to the table', onTable: true },
  'drop-table': { does: 'drops the table', onTable: true },
  'create-index': { does: 'creates an index on the table', onTable: true },
  'drop-index': { does: 'drops an index (the hub cannot tell on which table)', onTable: false },
  'create-trigger': { does: 'creates a trigger (a trigger may write any table)', onTable: false },
  'drop-trigger': { does: 'drops a trigger', onTable: false },
  'create-view': { does: 'creates a view', onTable: false },
  'drop-view': { does: 'drops a view', onTable: false },
};

/** Why statement `index` is not one a token limited to `allowed` (folded names) may carry, or undefined. */
function schemaOutside(s: SchemaStatement, index: number, allowed: ReadonlySet<string>): { why: string; table?: string } | undefined {
  const { does, onTable } = SCHEMA[s.kind];
  if (!onTable) return { why: `its schema statement ${index + 1} ${does}` };
  const table = s.table ?? s.name;
  return allowed.has(foldName(table)) ? undefined : { why: `its schema statement ${index + 1} ${does} ${JSON.stringify(table)}`, table };
}

/** Throws HUB_TABLE_NOT_ALLOWED unless entry `meta` touches only `tables`; call after the hub's checks (valid bytes, statements the schema rule admits). */
export function checkEntryTables(url: string, tables: readonly string[], meta: EntryMeta, bytes: Uint8Array): void {
  const allowed = new Set(tables.map(foldName));
  const refuse = (why: string, data: Record<string, unknown>) => notAllowed(url, tables, `entry ${meta.seq}`, why, { seq: meta.seq, ...data }, true);
  for (const [index, sql] of meta.schema.entries()) {
    const outside = schemaOutside(classifySchemaStatement(sql), index, allowed);
    if (outside) throw refuse(outside.why, { reason: 'schema', index, statement: sql.slice(0, 1000), ...(outside.table === undefined ? {} : { table: outside.table }) });
  }
  for (const { name } of changedTables(bytes)) {
    if (!allowed.has(foldName(name))) throw refuse(`it changes the table ${JSON.stringify(name)}`, { reason: 'changes', table: name });
  }
}

/** `store` as a token that may write only `tables` may use it. */
export function tableLimited(store: Store, tables: readonly string[]): Store {
  return {
    url: store.url,
    tokens: store.tokens,
    hub: (name) => new TableLimitedHub(store.hub(name), tables),
    createHub: async (name: string, _info: HubInfo) => {
      throw notAllowed(`/${name}`, tables, 'to create the hub', 'a token limited to tables may not create hubs', { reason: 'create-hub' }, false);
    },
    close: () => store.close(),
  };
}

class TableLimitedHub implements HubStore {
  readonly url: string;
  private readonly hub: HubStore;
  private readonly tables: readonly string[];

  constructor(hub: HubStore, tables: readonly string[]) {
    this.hub = hub;
    this.tables = tables;
    this.url = hub.url;
  }

  info = () => this.hub.info();
  head = () => this.hub.head();
  entries = (after: number, limit: number) => this.hub.entries(after, limit);
  entry = (seq: number) => this.hub.entry(seq);
  entryBatch = (after: number, limit: number, maxBytes: number) => this.hub.entryBatch(after, limit, maxBytes);
  latestSnapshot = (atMost: number) => this.hub.latestSnapshot(atMost);
  snapshot = (seq: number) => this.hub.snapshot(seq);
  close = () => this.hub.close();

  async appendExclusive(meta: EntryMeta, bytes: Uint8Array): Promise<boolean> {
    checkEntryTables(this.url, this.tables, meta, bytes);
    return this.hub.appendExclusive(meta, bytes);
  }

  /** Every entry of the batch is checked before any is stored: a batch touching another table is refused whole. */
  async appendBatchExclusive(batch: EntryWithBytes[]): Promise<number> {
    for (const { meta, bytes } of batch) checkEntryTables(this.url, this.tables, meta, bytes);
    return this.hub.appendBatchExclusive(batch);
  }

  /** The schema statements before any byte, the changed tables piece by piece as the bytes pass. */
  async appendStreamExclusive(meta: EntryMeta, body: AsyncIterable<Uint8Array>): Promise<boolean> {
    checkEntryTables(this.url, this.tables, meta, new Uint8Array());
    const url = this.url;
    const tables = this.tables;
    return this.hub.appendStreamExclusive(meta, (async function* () {
      const cutter = new PieceCutter(pieceBytes(), meta.kind);
      for await (const chunk of body) {
        for (const piece of cutter.push(chunk)) checkEntryTables(url, tables, { ...meta, schema: [] }, piece);
        yield chunk;
      }
      for (const piece of cutter.end()) checkEntryTables(url, tables, { ...meta, schema: [] }, piece);
    })());
  }

  async writeSnapshotExclusive(meta: SnapshotMeta, _body: Body): Promise<boolean> {
    throw notAllowed(this.url, this.tables, `snapshot ${meta.seq}`, 'a token limited to tables may not upload snapshots (a snapshot is a whole database)', { reason: 'snapshot', seq: meta.seq }, false);
  }
}
