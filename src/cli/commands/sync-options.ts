// What push, pull, sync and clone share: choosing the remote, the conflict handler rules
// (config.json's `conflictHandlers`, then --conflict-handler), and the one line per conflict.
import type { Command } from 'commander';
import type { Replica } from '../../repo/replica.ts';
import type { Remote } from '../../hub/remote.ts';
import { openRemote } from '../../remote/registry.ts';
import { remoteUrl } from '../../sync/remotes.ts';
import type { HandlerChooser } from '../../sync/handlers/index.ts';
import { replicaHandlers } from '../../sync/handlers/replica-rules.ts';
import type { ConflictRecord } from '../../repo/conflicts/conflict-store.ts';
import { readableRow } from '../../repo/conflicts/exact-json.ts';
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

/** `pull --help`: each conflict kind and each handler, before and after. */
export const HANDLERS_HELP = `
Conflict kinds (met while your unpushed commits are re-applied on the hub's rows):
  primary-key  you inserted a key the hub used: hub (7,'Al'), you insert (7,'Bo')
  unique       your row takes a UNIQUE value a hub row has under another key:
               hub (4,'bo@x'), you insert (9,'bo@x')
  data         you changed or deleted a row the hub changed since:
               hub sets 7's name to 'Al', you to 'Bo'
  not-found    you updated a row the hub deleted
  foreign-key  your change left a reference dangling: you add a book of author 7,
               the hub deletes author 7
  (A row deleted on both sides is no conflict.)

Handlers (before: hub (7,'Al',t=5), yours (7,'Bo',t=9); after, on every replica):
  remote         the default: the hub's row stays, (7,'Al',5); yours is stored
  local          yours wins, (7,'Bo',9); the hub's is stored (not-found: your row
                 comes back; foreign-key: the reference stays dangling)
  newest:t       the greater t wins, here (7,'Bo',9); numbers compare as numbers,
                 NULL < numbers < text < blobs; a tie or a deletion keeps the hub's
  abort          nothing is applied, the conflicts are listed (exit 1): pull again
                 with another rule once you have looked
  rekey          primary-key on an INSERT: yours moves to a key no row and no local
                 change uses: (7,'Al'), (8,'Bo'), and your rows that pointed at 7
                 follow to 8; other kinds: as remote
  merge-unique   unique on an INSERT: yours is the hub's row, (4,'bo@x') stays and
                 your rows that pointed at 9 follow to 4; other kinds: as remote
  ./module.mjs   your function (context) => 'keep-local' | 'take-remote' | 'skip' |
                 'abort' | { row } | { newKey } | { sameAs: 'conflicting' }
Every discarded version is in \`sqlferry conflicts\`. The most specific rule wins:
TABLE.KIND, then TABLE, then *.KIND, then HANDLER. A rekeyed row that collides on a
UNIQUE value at its new key is a unique conflict for TABLE.unique's rule: with
Genre.primary-key=rekey and Genre.unique=merge-unique, it merges.
`;

/** config.json's rules, then --conflict-handler's (module paths resolve against the working folder). */
export async function handlersFor(replica: Replica | undefined, flags: HandlerFlags): Promise<HandlerChooser> {
  return replicaHandlers(replica, (flags.conflictHandler ?? []).map((rule) => ({ rule, baseDir: process.cwd() })));
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
