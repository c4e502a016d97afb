// `sqlferry status`: what changed since the last commit.
import type { Command } from 'commander';
import { Replica } from '../../repo/replica.ts';
import { status } from '../../repo/capture/status.ts';
import { globals, out } from '../output.ts';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('what changed since the last commit: rows per table, schema changes, tables that cannot be tracked; and commits not pushed yet')
    .option('--json', 'print the status as JSON')
    .addHelpText('after', '\nExample:\n  $ sqlferry status --json')
    .action((opts: { json?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const s = status(Replica.find(g.db), { explain: (line) => out.verbose(g, line) });
      if (opts.json) return out.json(s);
      out.line(`On commit ${s.commit} of ${s.db}`);
      if (s.schema.length > 0) {
        out.line('Schema changes:');
        for (const sql of s.schema) out.line(`  ${sql}`);
      }
      if (s.tables.length > 0) {
        out.line('Changed rows:');
        const width = Math.max(...s.tables.map((t) => t.table.length));
        for (const t of s.tables) out.line(`  ${t.table.padEnd(width)}  ${t.inserted} inserted, ${t.updated} updated, ${t.deleted} deleted`);
      }
      for (const u of s.untracked) out.line(`Not tracked: ${u.table}: ${u.reason}`);
      for (const n of s.nullKeys) out.line(`Not tracked: ${n.rows} row${n.rows === 1 ? '' : 's'} of ${n.table} with a NULL in a key column`);
      if (s.blocked) {
        out.line(`A schema change sqlferry cannot record: ${s.blocked.reason}.`);
        out.line(`What to do: ${s.blocked.hint}.`);
      } else out.line(s.clean ? 'Nothing to commit.' : 'Run sqlferry commit to record these changes.');
      if (s.hub === null) return;
      const at = `the hub had ${s.hub.seq} entr${s.hub.seq === 1 ? 'y' : 'ies'} at the last pull or push`;
      if (s.hub.unpushed === 0) out.line(`Every commit is on the hub (${at}).`);
      else out.line(`${s.hub.unpushed} commit${s.hub.unpushed === 1 ? '' : 's'} not pushed yet (${at}); sqlferry sync sends ${s.hub.unpushed === 1 ? 'it' : 'them'}.`);
    });
}
