// The list of commands, in the order --help shows them. Each module is loaded only when
// needed: `sqlferry commit` loads the commit module alone, not the SSH, HTTP and server
// code behind push, pull and serve (about 70 ms and 20 MB of a short command's start-up).
import type { Command } from 'commander';

type Register = (program: Command) => void;

export interface CommandEntry {
  name: string;
  load: () => Promise<Register>;
}

export const commands: CommandEntry[] = [
  { name: 'init', load: async () => (await import('./init.ts')).registerInit },
  { name: 'status', load: async () => (await import('./status.ts')).registerStatus },
  { name: 'diff', load: async () => (await import('./diff.ts')).registerDiff },
  { name: 'commit', load: async () => (await import('./commit.ts')).registerCommit },
  { name: 'exec', load: async () => (await import('./exec.ts')).registerExec },
  { name: 'log', load: async () => (await import('./log.ts')).registerLog },
  { name: 'show', load: async () => (await import('./show.ts')).registerShow },
  { name: 'revert', load: async () => (await import('./revert.ts')).registerRevert },
  { name: 'checkout', load: async () => (await import('./checkout.ts')).registerCheckout },
  { name: 'verify', load: async () => (await import('./verify.ts')).registerVerify },
  { name: 'apply', load: async () => (await import('./apply.ts')).registerApply },
  { name: 'export', load: async () => (await import('./export.ts')).registerExport },
  { name: 'changeset', load: async () => (await import('./changeset.ts')).registerChangeset },
  { name: 'remote', load: async () => (await import('./remote.ts')).registerRemote },
  { name: 'push', load: async () => (await import('./push.ts')).registerPush },
  { name: 'pull', load: async () => (await import('./pull.ts')).registerPull },
  { name: 'sync', load: async () => (await import('./sync.ts')).registerSync },
  { name: 'clone', load: async () => (await import('./clone.ts')).registerClone },
  { name: 'conflicts', load: async () => (await import('./conflicts.ts')).registerConflicts },
  { name: 'serve', load: async () => (await import('./serve.ts')).registerServe },
  { name: 'token', load: async () => (await import('./token.ts')).registerToken },
  { name: 'hub', load: async () => (await import('./hub.ts')).registerHub },
];

/**
 * The command `argv` names, when it is one of ours; none for `--version` (it prints a constant,
 * and is asked for to check that the tool starts); otherwise (help, a typo, none) every command
 * is needed, for the listing and the "did you mean" suggestion.
 */
export function commandsFor(argv: readonly string[]): CommandEntry[] {
  const args = argv.slice(2);
  let version = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--' || arg === '-h' || arg === '--help') break;
    if (arg === '-V' || arg === '--version') version = true;
    else if (arg === '--db') i++; // the one global option that takes a separate value
    else if (!arg.startsWith('-')) {
      const named = commands.find((c) => c.name === arg);
      return named ? [named] : commands;
    }
  }
  return version && !args.includes('-h') && !args.includes('--help') ? [] : commands;
}
