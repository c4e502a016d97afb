// The content digest a replica keeps (src/changeset/digest.ts): its tables' lattices at the hub
// position (state.json's hubSeq), in digest.json. A pulled entry's claim is checked against it
// plus the entry's own change; a push's claims start from it. It is a cache: when it is missing
// or at another seq, it is rebuilt from the log (a scan of the state at that seq), and checked
// against the claim that entry carried when it was pulled.
import { rmSync } from 'node:fs';
import { digestClaims, DIGEST_LANES, lanesFromRecord, lanesOf, lanesRecord, type TableDigests } from '../changeset/digest.ts';
import { SqlferryError, EXIT } from '../errors/index.ts';
import { classifySchemaStatement } from '../hub/schema-rule.ts';
import { tempPathFor } from './atomic.ts';
import { readCache, writeCache } from './atomic.ts';
import { openBase } from './base/base.ts';
import { checkout } from './base/checkout.ts';
import { readSeq } from './base/snapshot.ts';
import { digestsFromPages } from './digest-pages.ts';
import { scanDigests } from './digest-scan.ts';
import type { Replica } from './replica.ts';
import { openDatabase } from './sqlite.ts';

interface DigestFile {
  seq: number;
  tables: Record<string, string>;
}

export function saveDigests(replica: Replica, seq: number, digests: TableDigests): void {
  writeCache(replica.paths.digest, { seq, tables: lanesRecord(digests) } satisfies DigestFile);
}

function readDigests(replica: Replica, seq: number): TableDigests | undefined {
  const file = readCache<DigestFile>(replica.paths.digest);
  return file?.seq === seq ? lanesFromRecord(file.tables) : undefined;
}

/** The digests at log entry `seq` (at most the log's end): from digest.json, or rebuilt and checked. Holding the lock. */
export function digestsAt(replica: Replica, seq: number): TableDigests {
  const cached = readDigests(replica, seq);
  if (cached !== undefined) return cached;
  const digests = scanAt(replica, seq);
  const claimed = seq > 0 && replica.hasEntry(seq) ? replica.meta(seq).digest : undefined;
  const differs = claimed === undefined ? undefined : claimMismatch(digests, claimed);
  if (differs !== undefined) {
    throw new SqlferryError('REPLICA_DAMAGED', `this replica's content at commit ${seq} differs from what the hub's entry ${seq} says (table "${differs}")`, {
      data: { seq, table: differs },
      exitCode: EXIT.corrupt,
      hint: 'run sqlferry verify; then clone a fresh replica from the hub and carry local work over',
    });
  }
  saveDigests(replica, seq, digests);
  return digests;
}

/**
 * A scan of the replica's state at log entry `seq`: base.db at the log's end, genesis.db itself
 * at its own entry (a first push's digest at 0, say), else a checkout from the genesis. base.db
 * and genesis.db, files only a holder of the lock writes, are read from their pages
 * (digest-pages.ts); not the checkout: the descriptor that reads pages is never closed, and
 * would keep a removed temporary copy on disk until the process ends.
 */
export function scanAt(replica: Replica, seq: number, only?: ReadonlySet<string>): TableDigests {
  if (seq === replica.lastSeq()) {
    const base = openBase(replica.paths);
    try {
      return digestsFromPages(base, replica.paths.base, only).digests;
    } finally {
      base.close();
    }
  }
  const genesis = openDatabase(replica.paths.genesis, { readOnly: true });
  try {
    if (readSeq(genesis, replica.paths.genesis) === seq) return digestsFromPages(genesis, replica.paths.genesis, only).digests;
  } finally {
    genesis.close();
  }
  const out = tempPathFor(replica.paths.base);
  try {
    checkout(replica, seq, out);
    const db = openDatabase(out, { readOnly: true });
    try {
      return scanDigests(db, only);
    } finally {
      db.close();
    }
  } finally {
    rmSync(out, { force: true });
  }
}

/** The first table whose digest differs from `claims` (a table missing on one side counts), or undefined. */
export function claimMismatch(digests: TableDigests, claims: Record<string, string>): string | undefined {
  const have = digestClaims(digests);
  const names = new Set([...Object.keys(have), ...Object.keys(claims)]);
  return [...names].sort().find((name) => have[name] !== claims[name]);
}

/**
 * Move `digests` over one entry: its schema statements (a dropped table leaves), then its
 * changeset's change (`delta`; a patchset's, undefined here, is the caller's: touched-digest.ts).
 * Returns the tables (lower-cased) to read again once the entry is applied: those given a
 * column, since a DEFAULT fills every row.
 */
export function advanceDigests(digests: TableDigests, schema: readonly string[], delta: TableDigests | undefined): Set<string> {
  const rescan = new Set<string>();
  for (const sql of schema) {
    const s = classifySchemaStatement(sql);
    if (s.kind === 'drop-table') forget(digests, s.name);
    if (s.kind === 'add-column') rescan.add(s.name.toLowerCase());
  }
  for (const [name, lanes] of delta ?? []) {
    const into = lanesOf(digests, name);
    for (let i = 0; i < DIGEST_LANES; i++) into[i]! += lanes[i]!;
  }
  return rescan;
}

/** Replace the digests of the tables named (lower-cased) with a scan of them in `db`. */
export function rescanInto(digests: TableDigests, tables: ReadonlySet<string>, scan: (only: ReadonlySet<string>) => TableDigests): void {
  if (tables.size === 0) return;
  for (const name of [...digests.keys()]) if (tables.has(name.toLowerCase())) digests.delete(name);
  const lowered = (only: TableDigests) => [...only].filter(([name]) => tables.has(name.toLowerCase()));
  for (const [name, lanes] of lowered(scan(tables))) digests.set(name, lanes);
}

function forget(digests: TableDigests, table: string): void {
  for (const name of [...digests.keys()]) if (name.toLowerCase() === table.toLowerCase()) digests.delete(name);
}
