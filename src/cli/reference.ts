// The CLI reference (docs/CLI.md) is generated from --help, so the docs cannot drift:
// `npm run docs` rewrites it and a test fails when it is stale.
import type { Command } from 'commander';
import { commands } from './commands/index.ts';
import { buildProgram } from './program.ts';

function walk(cmd: Command, path: string[]): Array<{ path: string[]; cmd: Command }> {
  const here = [{ path, cmd }];
  return here.concat(cmd.commands.flatMap((sub) => walk(sub, [...path, sub.name()])));
}

/** Every command with its full path, the root included. */
export async function allCommands(): Promise<Array<{ path: string[]; cmd: Command }>> {
  return walk(await buildProgram(commands), []);
}

function helpOf(cmd: Command): string {
  let text = '';
  cmd.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s), getOutHelpWidth: () => 80 });
  cmd.outputHelp();
  return text.trimEnd();
}

export async function renderReference(): Promise<string> {
  const sections = (await allCommands()).map(({ path, cmd }) => {
    const title = ['sqlferry', ...path].join(' ');
    return `## ${title}\n\n\`\`\`text\n${helpOf(cmd)}\n\`\`\`\n`;
  });
  return `# CLI reference\n\nGenerated from \`--help\` by \`npm run docs\`; do not edit by hand.\n\n${sections.join('\n')}`;
}
