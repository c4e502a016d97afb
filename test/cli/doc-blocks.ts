// The shell blocks of a Markdown document, for the test that runs them (docs-run.test.ts), each
// with the HTML comment right above it: `<!-- not run: why -->`, or `<!-- setup: what -->`
// naming what the test prepares before running it.
import { readFileSync } from 'node:fs';

export interface DocBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  text: string;
  /** The comment's text after `not run:` or `setup:`, if any. */
  notRun?: string;
  setup?: string;
}

const SHELL = new Set(['sh', 'bash', 'shell']);

export function shellBlocks(file: string): DocBlock[] {
  const lines = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8').split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\S*)\s*$/.exec(lines[i]!);
    if (fence === null) continue;
    const end = lines.indexOf('```', i + 1);
    if (SHELL.has(fence[1]!)) {
      const comment = /^<!-- (not run|setup): (.+) -->$/.exec(lines[i - 1] ?? '');
      blocks.push({
        file, line: i + 1, text: lines.slice(i + 1, end).join('\n'),
        ...(comment?.[1] === 'not run' ? { notRun: comment[2]! } : {}),
        ...(comment?.[1] === 'setup' ? { setup: comment[2]! } : {}),
      });
    }
    i = end;
  }
  return blocks;
}

/**
 * A block as a bash script: `set -e`; a line ending in `# exit N` must exit with N; a cron
 * line (five time fields, then a command) runs its command as cron would, with only
 * PATH=/usr/bin:/bin in its environment.
 */
export function asScript(text: string): string {
  const joined = text.replace(/\\\n/g, ' ');
  const out = ['set -e'];
  for (const line of joined.split('\n')) {
    const cron = /^(?:[\d*/,-]+\s+){5}(.+)$/.exec(line);
    const expected = /#\s*exit (\d+)\b/.exec(line);
    if (cron) out.push(`env -i PATH=/usr/bin:/bin sh -c ${quote(cron[1]!)}`);
    else if (expected) out.push(`set +e; ${line}\nrc=$?; set -e; [ "$rc" -eq ${expected[1]} ] || { echo "exited $rc, not ${expected[1]}: ${line.replace(/["$`\\]/g, '')}" >&2; exit 1; }`);
    else out.push(line);
  }
  return out.join('\n') + '\n';
}

function quote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}
