// What push, pull, sync and clone share: choosing the remote, the conflict handler rules
// (config.json's `conflictHandlers`, then --conflict-handler), and the one line per conflict.
import { dirname } from 'node:path';
import type { Command } from 'commander';
import type { Replica } from '../../repo/replica.ts';
import { readConfig } from '../../repo/config.ts';
import { openDatabase } from '../../repo/sqlite.ts';
import type { Remote } from '../../hub/remote.ts';
import { openRemote } from '../../remote/registry.ts';
import { remoteUrl } from '../../sync/remotes.ts';
import { chooseHandlers, rulesFromConfig, type HandlerChooser } from '../../sync/handlers/index.ts';
import type { ConflictRecord } from '../../repo/conflict-store.ts';
import { readableRow } from '../../repo/exact-json.ts';
import { jsonReplacer } from '../output.ts';

export interface HandlerFlags {
  conflictHandler?: string[];
}

export function addHandlerOption(cmd: Command): Command {
  return cmd.option(
    '--conflict-handler <rule>',
    'how to settle conflicts: HANDLER, TABLE=HANDLER or TABLE.KIND=HANDLER; HANDLER is abort, local, remote, newest:COLUMN, rekey, merge-unique or ./module.mjs (repeatable; default: remote, the hub\'s order decides)',
    (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
  );
}

export async function handlersFor(replica: Replica | undefined, flags: HandlerFlags): Promise<HandlerChooser> {
  const fromConfig = replica ? rulesFromConfig(readConfig(replica.paths.config).conflictHandlers, dirname(replica.paths.db)) : [];
  const fromFlags = (flags.conflictHandler ?? []).map((rule) => ({ rule, baseDir: process.cwd() }));
  return chooseHandlers([...fromConfig, ...fromFlags], replica ? tablesOf(replica.paths.db) : undefined);
}

function tablesOf(dbPath: string): Set<string> {
  const db = openDatabase(dbPath, { readOnly: true });
  try {
    return new Set((db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as Array<{ name: string }>).map((r) => r.name));
  } finally {
    db.close();
  }
}

export async function remoteOf(replica: Replica, name: string | undefined): Promise<Remote> {
  return openRemote(remoteUrl(replica, name).url);
}

export function conflictLine(c: ConflictRecord, pointer = true): string {
  const key = JSON.stringify(readableRow(c.primaryKey), jsonReplacer);
  const kept = { local: "the hub's version was kept", remote: 'your version was kept', both: 'the rows were merged', none: 'nothing was discarded' }[c.discarded];
  const line = `conflict #${c.id}: ${c.kind} on ${c.table} ${key}: ${kept} (${c.handler}: ${c.resolution})`;
  return pointer ? `${line}; see sqlferry conflicts show ${c.id}` : line;
}

/** The push succeeded; only the snapshot for fast clones did not. Said, but not an error. */
export function warnSnapshot(message: string): void {
  process.stderr.write(`warning: could not upload a snapshot for new clones (the next push tries again): ${message}\n`);
}

/** -v: entries a hub of an older sqlferry wrote carry no content digest; they are accepted, and said so. */
export function uncheckedLine(count: number): string {
  return `${count} pulled entr${count === 1 ? 'y' : 'ies'} carried no content digest (written by an older sqlferry): accepted without that check.`;
}
