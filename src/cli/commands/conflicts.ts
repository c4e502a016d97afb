// `sqlferry conflicts list|show ID|restore ID`: every row version a resolution discarded.
import type { Command } from 'commander';
import { SqlferryError, EXIT } from '../../errors/index.ts';
import { Replica } from '../../repo/replica.ts';
import { ConflictStore, type ConflictRecord } from '../../repo/conflicts/conflict-store.ts';
import { readableRow } from '../../repo/conflicts/exact-json.ts';
import { restoreConflict, type Side } from '../../sync/restore.ts';
import { globals, jsonReplacer, out } from '../output.ts';
import { conflictLine } from './sync-options.ts';

/** The --json shape (docs/CLI_JSON_OUTPUT.md): rows as column → value, exact versions under `exact`. */
function asJson(c: ConflictRecord) {
  return {
    id: c.id, time: c.time, kind: c.kind, table: c.table, primaryKey: readableRow(c.primaryKey), handler: c.handler,
    resolution: c.resolution, discarded: c.discarded, hubSeq: c.hubSeq, restoredAt: c.restoredAt,
    local: readableRow(c.local), remote: readableRow(c.remote), result: readableRow(c.result),
    exact: { local: c.local, remote: c.remote, result: c.result },
  };
}

function parseId(text: string): number {
  const id = Number(text);
  if (!Number.isSafeInteger(id) || id <= 0) throw new SqlferryError('USAGE', `${JSON.stringify(text)} is not a conflict number`, { exitCode: EXIT.usage });
  return id;
}

function withStore<T>(cmd: Command, fn: (store: ConflictStore, replica: Replica) => T): T {
  const replica = Replica.find(globals(cmd).db);
  const store = new ConflictStore(replica.paths.conflicts);
  try {
    return fn(store, replica);
  } finally {
    store.close();
  }
}

export function registerConflicts(program: Command): void {
  const conflicts = program
    .command('conflicts')
    .description('the conflicts pulls met: both row versions of each, kept so nothing is lost')
    .addHelpText('after', '\nExample:\n  $ sqlferry conflicts list');
  conflicts
    .command('list')
    .description('list conflicts not yet restored (--all: every one)')
    .option('--all', 'include restored ones')
    .option('--json', 'print them as a JSON array')
    .addHelpText('after', '\nExample:\n  $ sqlferry conflicts list --json')
    .action((opts: { all?: boolean; json?: boolean }, cmd: Command) =>
      withStore(cmd, (store) => {
        const list = store.list({ all: opts.all === true });
        if (opts.json) return out.json(list.map(asJson));
        for (const c of list) out.line(conflictLine(c));
      }),
    );
  conflicts
    .command('show')
    .description('one conflict with both row versions')
    .argument('<id>', 'the conflict number')
    .option('--json', 'print it as JSON')
    .addHelpText('after', '\nExample:\n  $ sqlferry conflicts show 3')
    .action((id: string, opts: { json?: boolean }, cmd: Command) =>
      withStore(cmd, (store) => {
        const c = store.get(parseId(id));
        if (opts.json) return out.json(asJson(c));
        const j = asJson(c);
        out.line(conflictLine(c, false));
        for (const side of ['local', 'remote', 'result'] as const) out.line(`  ${side.padEnd(6)} ${JSON.stringify(j[side], jsonReplacer) ?? 'null'}`);
        out.line(`  at ${c.time}, hub entry ${c.hubSeq}${c.restoredAt ? `, restored ${c.restoredAt}` : ''}`);
      }),
    );
  conflicts
    .command('restore')
    .description('put the discarded version back into the database as an uncommitted change (commit or sync shares it)')
    .argument('<id>', 'the conflict number')
    // Not --version: that is the program's own flag, and commander would print the version instead.
    .option('--side <side>', 'which version: local or remote (default: the one discarded)')
    .option('--json', 'print the conflict as JSON')
    .addHelpText('after', '\nExample:\n  $ sqlferry conflicts restore 3 && sqlferry sync')
    .action((id: string, opts: { side?: Side; json?: boolean }, cmd: Command) => {
      if (opts.side !== undefined && opts.side !== 'local' && opts.side !== 'remote') {
        throw new SqlferryError('USAGE', `--side must be local or remote, not ${JSON.stringify(opts.side)}`, { exitCode: EXIT.usage });
      }
      const { record: c, already } = restoreConflict(Replica.find(globals(cmd).db), parseId(id), opts.side);
      if (opts.json) return out.json({ ...asJson(c), alreadyRestored: already });
      out.info(globals(cmd), already
        ? `Conflict #${c.id} was already restored (at ${c.restoredAt}); nothing changed. To restore it again, name the side: --side local or --side remote.`
        : `Restored conflict #${c.id} into ${c.table}; commit or sync to share it.`);
    });
}
