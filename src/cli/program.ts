// Commander wiring only: each command lives in ./commands/<name>.ts and holds no logic
// beyond parsing options and printing results. The program runs the commands it is given:
// main.ts gives it those the command line names; the npm package's file for one command
// (bin/build-dist.ts) that command alone, so that file holds no other command's code.
import { Command, CommanderError } from 'commander';
import { SqlferryError, EXIT } from '../errors/index.ts';
import { collectAsBytesPass } from '../shared/collect.ts';
import { colourFor, out } from './output.ts';
import type { CommandEntry } from './commands/index.ts';
import pkg from '../../package.json' with { type: 'json' };

/** The program with `which` commands registered (all of them for --help and the docs). */
export async function buildProgram(which: readonly CommandEntry[]): Promise<Command> {
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

/** Runs `argv` with the commands `which` (see commandsFor): the exit code. */
export async function run(argv: string[], which: readonly CommandEntry[]): Promise<number> {
  // A reader that stops early (`sqlferry log | head`) closes the pipe: what is left to print
  // goes nowhere, and the command still finishes (a sync is not cut short by its output).
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
    });
  }
  // A process of its own: collect garbage as large changes stream through (shared/collect.ts);
  // `serve` does not, its requests would pause.
  if (commandName(argv) !== 'serve') collectAsBytesPass();
  try {
    const program = await buildProgram(which);
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    return await reportError(err, argv);
  }
}

async function reportError(err: unknown, argv: readonly string[]): Promise<number> {
  const colours = () => colourFor(process.stderr, { color: !argv.includes('--no-color') });
  if (err instanceof CommanderError) {
    // --help and --version arrive here too, with exit code 0.
    if (err.exitCode === 0) return EXIT.ok;
    // Commander showed the help because a command was missing: say so on the last line.
    if (err.code === 'commander.help') {
      const named = commandName(argv);
      process.stderr.write(`${(await colours()).red('error:')} ${named ? `sqlferry ${named} needs a subcommand (listed above)` : 'no command given (the commands are listed above)'}\n`);
    }
    return EXIT.usage;
  }
  const known = err instanceof SqlferryError;
  const message = err instanceof Error ? err.message : String(err);
  // An unexpected failure is our bug, not the user's: say so plainly, stack only on request.
  const hint = known ? err.hint : 'this looks like a bug in sqlferry; run again with SQLFERRY_DEBUG=1 for details and report it';
  const exitCode = known ? err.exitCode : EXIT.failure;
  // A script that asked for --json reads stdout: the error is there too, as a document
  // (unless the command printed its own, as verify --json does before failing).
  if (argv.includes('--json') && !out.jsonPrinted) {
    out.json({ error: { code: known ? err.code : 'UNEXPECTED', message, hint: hint ?? null, exitCode, data: known ? err.data : {} } });
  }
  const c = await colours();
  process.stderr.write(`${c.red('error:')} ${message}\n`);
  if (process.env.SQLFERRY_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  if (hint && !(process.env.SQLFERRY_DEBUG && !known)) process.stderr.write(`${c.dim('hint:')} ${hint}\n`);
  return exitCode;
}

/** The command named on the command line, if any (the value of --db is not one). */
function commandName(argv: readonly string[]): string | undefined {
  const args = argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--db') i++;
    else if (!args[i]!.startsWith('-')) return args[i];
  }
  return undefined;
}
