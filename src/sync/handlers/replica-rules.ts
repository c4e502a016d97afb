// A replica's conflict handlers: config.json's `conflictHandlers`, then the caller's own rules
// (the command line's), so that a library caller of pull() or sync() gets the replica's rules too.
import { dirname } from 'node:path';
import { readConfig } from '../../repo/config.ts';
import type { Replica } from '../../repo/replica.ts';
import { openDatabase } from '../../repo/sqlite.ts';
import { chooseHandlers, rulesFromConfig, type HandlerChooser, type HandlerRule } from './index.ts';

/** Rules naming a table the database lacks are refused; without a replica (a clone) only `rules` count. */
export async function replicaHandlers(replica: Replica | undefined, rules: readonly HandlerRule[] = []): Promise<HandlerChooser> {
  const all = replica ? [...rulesFromConfig(readConfig(replica.paths.config).conflictHandlers, dirname(replica.paths.db)), ...rules] : [...rules];
  // The tables are read only to check the rules' table names: no rules, no database to open.
  return chooseHandlers(all, replica && all.length > 0 ? tablesOf(replica.paths.db) : undefined);
}

function tablesOf(dbPath: string): Set<string> {
  const db = openDatabase(dbPath, { readOnly: true });
  try {
    return new Set((db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as Array<{ name: string }>).map((r) => r.name));
  } finally {
    db.close();
  }
}
