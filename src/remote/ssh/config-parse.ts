// ssh_config(5) text into lines, checked the way ssh checks them: every line, whether its Host
// block matches or not, so a typo fails today rather than on the day that block is first used.
// Pure: the caller reads the files. Keywords sqlferry does not use are kept unchecked.
import { SqlferryError, EXIT } from '../../errors/index.ts';

export interface ConfigLine {
  file: string;
  line: number;
  /** Lower-cased: keywords are case-insensitive. */
  keyword: string;
  args: string[];
}

export function configError(file: string, line: number, why: string): SqlferryError {
  return new SqlferryError('SSH_CONFIG_INVALID', `cannot use the SSH config file ${file}: line ${line}: ${why}`, {
    data: { file, line },
    exitCode: EXIT.usage,
    hint: 'fix that line (see `man ssh_config`); `ssh -G HOST` shows how ssh itself reads the file',
  });
}

const YES_NO = ['yes', 'no'];
const STRICT = ['yes', 'no', 'ask', 'accept-new', 'off'];

/** What each keyword sqlferry reads accepts: [fewest, most] arguments, and a check of each. */
const SHAPES: Record<string, { min: number; max: number; check?: (arg: string) => string | undefined }> = {
  host: { min: 1, max: Infinity },
  match: { min: 1, max: Infinity },
  include: { min: 1, max: Infinity },
  hostname: { min: 1, max: 1 },
  user: { min: 1, max: 1 },
  port: { min: 1, max: 1, check: (a) => (/^\d+$/.test(a) && +a >= 1 && +a <= 65535 ? undefined : 'a number from 1 to 65535') },
  identityfile: { min: 1, max: 1 },
  identitiesonly: { min: 1, max: 1, check: (a) => oneOf(a, YES_NO) },
  userknownhostsfile: { min: 1, max: Infinity },
  stricthostkeychecking: { min: 1, max: 1, check: (a) => oneOf(a, STRICT) },
  connecttimeout: { min: 1, max: 1, check: (a) => (/^[1-9]\d*$/.test(a) || a === 'none' ? undefined : 'a number of seconds') },
  proxyjump: { min: 1, max: 1 },
  proxycommand: { min: 1, max: Infinity },
};

function oneOf(arg: string, allowed: string[]): string | undefined {
  return allowed.includes(arg.toLowerCase()) ? undefined : `one of ${allowed.join(', ')}`;
}

/** Splits a value the way ssh does: whitespace between arguments, "…" or '…' around one with spaces, # ends the line. */
function splitArgs(text: string, file: string, line: number): string[] {
  const args: string[] = [];
  for (const m of text.matchAll(/"([^"]*)("?)|'([^']*)('?)|(\S+)/g)) {
    if (m[5] !== undefined) {
      if (m[5].startsWith('#')) break;
      args.push(m[5]);
    } else if (m[2] === '"' || m[4] === "'") args.push(m[1] ?? m[3]!);
    else throw configError(file, line, 'a quote is not closed');
  }
  return args;
}

export function parseConfig(text: string, file: string): ConfigLine[] {
  const lines: ConfigLine[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    // `Keyword value`, `Keyword=value` and `Keyword = value` are all accepted by ssh.
    const m = /^([A-Za-z][A-Za-z0-9]*)(?:\s*=\s*|\s+|$)(.*)$/.exec(trimmed);
    if (!m) throw configError(file, line, `expected a keyword and its value, not ${JSON.stringify(trimmed)}`);
    const keyword = m[1]!.toLowerCase();
    const args = splitArgs(m[2]!, file, line);
    const shape = SHAPES[keyword];
    if (shape) {
      if (args.length < shape.min) throw configError(file, line, `${m[1]} needs a value`);
      if (args.length > shape.max) throw configError(file, line, `${m[1]} takes one value, not ${args.length}`);
      for (const arg of args) {
        const expected = shape.check?.(arg);
        if (expected) throw configError(file, line, `${m[1]} must be ${expected}, not ${JSON.stringify(arg)}`);
      }
    }
    lines.push({ file, line, keyword, args });
  }
  return lines;
}
