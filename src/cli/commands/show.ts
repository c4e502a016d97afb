// `sqlferry show N`: one commit — its metadata and its changes as SQL, JSON or counts.
import type { Command } from 'commander';
import { changeStats, renderJson, renderSql } from '../../changeset/index.ts';
import { Replica } from '../../repo/replica.ts';
import { shownMeta } from '../../repo/log/log.ts';
import { columnNamesIn } from '../../repo/capture/diff.ts';
import { globals, out } from '../output.ts';
import { printLines } from './print-lines.ts';
import { parseSeq } from './parse-seq.ts';

export function registerShow(program: Command): void {
  program
    .command('show')
    .description('show commit N: its metadata and its changes')
    .argument('<n>', 'the commit number (see sqlferry log)')
    .option('--sql', 'only the SQL: schema statements, then one statement per row')
    .option('--json', 'as JSON: {entry, changes}')
    .option('--stat', 'rows inserted, updated and deleted per table')
    .addHelpText('after', '\nExample:\n  $ sqlferry show 3 --stat')
    .action((n: string, opts: { sql?: boolean; json?: boolean; stat?: boolean }, cmd: Command) => {
      const replica = Replica.find(globals(cmd).db);
      // Read a piece at a time: a bulk load's entry may be larger than memory (or a Buffer) holds.
      const { meta, changes, check } = replica.entryChanges(parseSeq(n));
      if (!opts.stat) check(); // printed as it is read: nothing of a damaged entry
      if (opts.json) return out.jsonWithList({ entry: shownMeta(meta) }, 'changes', mapped(changes(), renderJson));
      if (opts.stat) {
        const stats = changeStats(changes(), meta.kind);
        const width = (f: (t: (typeof stats.tables)[number]) => string | number) => Math.max(0, ...stats.tables.map((t) => String(f(t)).length));
        const [w, i, u] = [width((t) => t.table), width((t) => t.inserts), width((t) => t.updates)];
        for (const t of stats.tables) {
          out.line(`${t.table.padEnd(w)}  ${String(t.inserts).padStart(i)} inserted, ${String(t.updates).padStart(u)} updated, ${t.deletes} deleted`);
        }
        return out.line(`${stats.total.total} change(s) in ${stats.tables.length} table(s)`);
      }
      if (!opts.sql) {
        out.line(`commit ${meta.seq}  ${meta.time}  replica ${meta.replicaId}`);
        out.line(`sha256 ${meta.sha256}  ${meta.size} bytes`);
        out.line(`    ${meta.message || '(no message)'}`);
        out.line();
      }
      // Column names from the live database's schema.
      const names = columnNamesIn(replica.paths.db);
      printLines(meta.schema.map((s) => `${s};`));
      printLines(renderSql(changes(), names));
    });
}

function* mapped<T, U>(items: Iterable<T>, f: (item: T) => U): Generator<U> {
  for (const item of items) yield f(item);
}
