// `sqlferry changeset dump|sql|invert|concat|stats FILE…`: raw changeset and patchset files,
// for interop and inspection. Parsing and rendering live in src/changeset; this only reads
// files, prints, and writes output files.
import type { Command } from 'commander';
import {
  changesetStats, concatChangesets, invertChangeset, iterateChanges, renderJson, renderSql,
} from '../../changeset/index.ts';
import { columnNamesIn } from '../../repo/capture/diff.ts';
import { globals, out } from '../output.ts';
import { printLines } from './print-lines.ts';
import { withFile, writeBinary } from '../binary-files.ts';

const example = (text: string): string => `\nExample:\n  ${text}\n`;

export function registerChangeset(program: Command): void {
  const changeset = program
    .command('changeset')
    .description('inspect, invert and combine raw SQLite changeset or patchset files')
    .addHelpText('after', example('$ sqlferry changeset stats app.db.sqlferry/log/0000000001.changeset'));

  changeset
    .command('dump')
    .description('print every change as one JSON object per line (shape: docs/CLI_JSON_OUTPUT.md)')
    .argument('<files...>', 'changeset or patchset files')
    .addHelpText('after', example('$ sqlferry changeset dump app.db.sqlferry/log/0000000001.changeset | jq -c \'select(.op == "DELETE")\''))
    .action((files: string[]) => {
      for (const file of files) {
        withFile(file, (bytes) => printLines(map(iterateChanges(bytes), (c) => JSON.stringify(renderJson(c)))));
      }
    });

  changeset
    .command('sql')
    .description('print every change as an SQL statement; with --db, columns get their real names (else c1, c2, …)')
    .argument('<files...>', 'changeset or patchset files')
    .addHelpText('after', `${example('$ sqlferry --db app.db changeset sql app.db.sqlferry/log/0000000001.changeset')}  $ sqlferry changeset sql /srv/hubs/app/log/00000000000000000001.*.changeset   # a hub's entry 1\n`)
    .action((files: string[], _opts: unknown, cmd: Command) => {
      const dbPath = globals(cmd).db;
      const names = dbPath === undefined ? undefined : columnNamesIn(dbPath);
      for (const file of files) withFile(file, (bytes) => printLines(renderSql(iterateChanges(bytes), names)));
    });

  changeset
    .command('invert')
    .description('write the changeset that undoes FILE (a patchset cannot be inverted)')
    .argument('<file>', 'a changeset file')
    .option('-o, --output <file>', 'where to write the inverse (default: stdout, never a terminal)')
    .addHelpText('after', example('$ sqlferry changeset invert 0000000007.changeset -o undo-7.changeset'))
    .action((file: string, opts: { output?: string }) => {
      writeBinary([withFile(file, invertChangeset)], opts.output);
    });

  changeset
    .command('concat')
    .description('squash several changesets (or several patchsets) into one, in the order given')
    .argument('<files...>', 'changeset files, or patchset files, oldest first')
    .option('-o, --output <file>', 'where to write the result (default: stdout, never a terminal)')
    .addHelpText('after', example('$ sqlferry changeset concat app.db.sqlferry/log/000000000{1,2}.changeset -o 1-2.changeset'))
    .action((files: string[], opts: { output?: string }) => {
      writeBinary([concatChangesets(files.map((f) => withFile(f, validated)))], opts.output);
    });

  changeset
    .command('stats')
    .description('count inserts, updates and deletes per table')
    .argument('<files...>', 'changeset or patchset files')
    .option('--json', 'one JSON document: an array with one entry per file')
    .addHelpText('after', example('$ sqlferry changeset stats --json app.db.sqlferry/log/0000000001.changeset'))
    .action((files: string[], opts: { json?: boolean }) => {
      const stats = files.map((file) => ({ file, ...withFile(file, changesetStats) }));
      if (opts.json) return out.json(stats);
      for (const s of stats) {
        out.line(`${s.file} (${s.kind}): ${counts(s.total)}`);
        for (const t of s.tables) out.line(`  ${t.table}: ${counts(t)}`);
      }
    });
}

function counts(c: { inserts: number; updates: number; deletes: number; total: number }): string {
  return `${c.total} changes (${c.inserts} inserts, ${c.updates} updates, ${c.deletes} deletes)`;
}

/** The bytes, once every change in them has been read (so a format error names its file). */
function validated(bytes: Uint8Array): Uint8Array {
  for (const _change of iterateChanges(bytes));
  return bytes;
}

function* map<A, B>(items: Iterable<A>, f: (a: A) => B): Generator<B> {
  for (const item of items) yield f(item);
}
