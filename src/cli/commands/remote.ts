// `sqlferry remote add|set-url|list|remove`: named hubs, like git remotes.
import type { Command } from 'commander';
import { Replica } from '../../repo/replica.ts';
import { addRemote, listRemotes, removeRemote, setRemoteUrl } from '../../sync/remotes.ts';
import { globals, out } from '../output.ts';

export function registerRemote(program: Command): void {
  const remote = program
    .command('remote')
    .description('name the hubs this replica pushes to and pulls from')
    .addHelpText('after', '\nExample:\n  $ sqlferry remote add origin /srv/hubs/app');
  remote
    .command('add')
    .description('add a remote: URL is a folder path, file:///path, ssh://user@host/path, user@host:path or https://host/REPO')
    .argument('<name>', 'a short name, e.g. origin')
    .argument('<url>', 'where the hub is')
    .addHelpText('after', '\nExample:\n  $ sqlferry remote add origin file:///mnt/share/app-hub')
    .action((name: string, url: string, _opts: unknown, cmd: Command) => {
      const g = globals(cmd);
      const stored = addRemote(Replica.find(g.db), name, url);
      out.info(g, `Added remote ${name}: ${stored}`);
    });
  remote
    .command('set-url')
    .description('point a remote at another URL: the hub was moved or copied elsewhere')
    .argument('<name>', 'the remote, e.g. origin')
    .argument('<url>', 'where the hub is now')
    .addHelpText('after', '\nExample:\n  $ sqlferry remote set-url origin ssh://new-host/srv/hubs/app')
    .action((name: string, url: string, _opts: unknown, cmd: Command) => {
      const g = globals(cmd);
      const stored = setRemoteUrl(Replica.find(g.db), name, url);
      out.info(g, `Remote ${name} is now ${stored}`);
    });
  remote
    .command('list')
    .description('list the remotes')
    .option('--json', 'print { name: url } as JSON')
    .addHelpText('after', '\nExample:\n  $ sqlferry remote list --json')
    .action((opts: { json?: boolean }, cmd: Command) => {
      const remotes = listRemotes(Replica.find(globals(cmd).db));
      if (opts.json) return out.json(remotes);
      for (const [name, url] of Object.entries(remotes)) out.line(`${name}\t${url}`);
    });
  remote
    .command('remove')
    .description('forget a remote (the hub itself is untouched)')
    .argument('<name>', 'the remote to forget')
    .addHelpText('after', '\nExample:\n  $ sqlferry remote remove origin')
    .action((name: string, _opts: unknown, cmd: Command) => {
      const g = globals(cmd);
      removeRemote(Replica.find(g.db), name);
      out.info(g, `Removed remote ${name}`);
    });
}
