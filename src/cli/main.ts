// Commander wiring only: each command lives in ./commands/<name>.ts and holds no logic
// beyond parsing options and printing results.
import { Command, CommanderError } from 'commander';
import { SqlferryError, EXIT } from '../errors/index.ts';
import { colourFor } from './output.ts';
import { commands, commandsFor, type CommandEntry } from './commands/index.ts';
import pkg from '../../package.json' with { type: 'json' };

/** The program with `which` commands registered (all of them by default: --help, docs). */
export async function buildProgram(which: readonly CommandEntry[] = commands): Promise<Command> {
  const program = new Command('sqlferry')
    .description('Git-like sync for SQLite files: capture changes as SQLite changesets, push and pull them between replicas.')
    .version(pkg.version, '-V, --version')
    .option('--db <path>', 'the database to work on (default: found from the current folder, like git finds .git)')
    .option('-q, --quiet', 'print only errors and what a command was asked for')
    .option('-v, --verbose', 'say more about what is happening, on stderr')
    .option('--no-color', 'never colour the output')
    .showHelpAfterError('(run with --help for usage)')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) });
  for (const register of await Promise.all(which.map((c) => c.load()))) register(program);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  // A reader that stops early (`sqlferry log | head`) closes the pipe: what is left to print
  // goes nowhere, and the command still finishes (a sync is not cut short by its output).
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
    });
  }
  try {
    const program = await buildProgram(commandsFor(argv));
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    return reportError(err, argv.includes('--no-color'));
  }
}

function reportError(err: unknown, noColor: boolean): number {
  if (err instanceof CommanderError) {
    // --help and --version arrive here too, with exit code 0.
    return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  const c = colourFor(process.stderr, { color: !noColor });
  if (err instanceof SqlferryError) {
    process.stderr.write(`${c.red('error:')} ${err.message}\n`);
    if (err.hint) process.stderr.write(`${c.dim('hint:')} ${err.hint}\n`);
    if (process.env.SQLFERRY_DEBUG) process.stderr.write(`${err.stack}\n`);
    return err.exitCode;
  }
  // An unexpected failure is our bug, not the user's: say so plainly, stack only on request.
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`${c.red('error:')} ${message}\n`);
  process.stderr.write(
    process.env.SQLFERRY_DEBUG && err instanceof Error
      ? `${err.stack}\n`
      : `${c.dim('hint:')} this looks like a bug in sqlferry; run again with SQLFERRY_DEBUG=1 for details and report it\n`,
  );
  return EXIT.failure;
}
