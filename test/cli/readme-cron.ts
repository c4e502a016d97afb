// The cron lines of README.md's "For cron" block, for the tests that run them as cron would.
import { readFileSync } from 'node:fs';

/** The command of each README cron line: what follows its five time fields. */
export function readmeCronCommands(): string[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  return [...readme.matchAll(/^\*\/5 \* \* \* \* (.+)$/gm)].map((m) => m[1]!);
}
