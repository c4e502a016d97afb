// Everything the CLI prints goes through here: colour rules, --json, -q/-v.
import type { Chalk } from 'chalk';
import type { Command } from 'commander';

export interface GlobalOptions {
  db?: string;
  quiet?: boolean;
  verbose?: boolean;
  color?: boolean;
}

/**
 * Colour only on a TTY, never under NO_COLOR (https://no-color.org) or --no-color. chalk is
 * loaded when something is coloured (an error), not at every start: its terminal detection
 * loads node:tty and node:net behind it, which a command that succeeds never needs.
 */
export async function colourFor(stream: NodeJS.WriteStream, opts: GlobalOptions = {}): Promise<InstanceType<typeof Chalk>> {
  const on = stream.isTTY === true && !process.env.NO_COLOR && opts.color !== false;
  return new (await import('chalk')).Chalk({ level: on ? 1 : 0 });
}

// Whether this run already printed its JSON document: an error after it (verify --json
// reports its problems, then fails) is not printed as a second one.
let jsonPrinted = false;

export const out = {
  get jsonPrinted(): boolean {
    return jsonPrinted;
  },
  line(text = ''): void {
    process.stdout.write(text + '\n');
  },
  /** One JSON document per call; a stable contract documented in docs/CLI_JSON_OUTPUT.md. */
  json(value: unknown): void {
    jsonPrinted = true;
    process.stdout.write(JSON.stringify(value, jsonReplacer, 2) + '\n');
  },
  /**
   * out.json({ ...head, [key]: [...items] }), the same text, printed as the items come: a
   * list too long to hold (the changes of a large entry) stays one JSON document.
   */
  jsonWithList(head: object, key: string, items: Iterable<unknown>): void {
    jsonPrinted = true;
    const whole = JSON.stringify({ ...head, [key]: [] }, jsonReplacer, 2);
    const at = whole.lastIndexOf('[]'); // the list is the last member
    let chunk = whole.slice(0, at + 1);
    let first = true;
    for (const item of items) {
      chunk += (first ? '\n    ' : ',\n    ') + JSON.stringify(item, jsonReplacer, 2).replaceAll('\n', '\n    ');
      first = false;
      if (chunk.length > 1 << 16) {
        process.stdout.write(chunk);
        chunk = '';
      }
    }
    process.stdout.write(chunk + (first ? ']' : '\n  ]') + whole.slice(at + 2) + '\n');
  },
  jsonLine(value: unknown): void {
    jsonPrinted = true;
    process.stdout.write(JSON.stringify(value, jsonReplacer) + '\n');
  },
  info(opts: GlobalOptions, text: string): void {
    if (!opts.quiet) process.stdout.write(text + '\n');
  },
  verbose(opts: GlobalOptions, text: string): void {
    if (opts.verbose) process.stderr.write(text + '\n');
  },
};

/** BigInt has no JSON form: integers beyond 2^53 stay exact as strings, smaller ones as numbers. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  return value;
}

export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}
