import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { allCommands, renderReference } from '../../src/cli/reference.ts';

describe('the CLI reference', () => {
  it('docs/CLI.md is what `npm run docs` generates (run it after changing a command)', async () => {
    const onDisk = readFileSync(new URL('../../docs/CLI.md', import.meta.url), 'utf8');
    expect(onDisk).toBe(await renderReference());
  });

  it('every command has a description and ends its help with an example', async () => {
    const lacking = (await allCommands())
      .filter(({ path, cmd }) => path.length > 0 && cmd.commands.length === 0)
      .filter(({ cmd }) => !cmd.description() || !/Examples?:/.test(helpText(cmd)))
      .map(({ path }) => path.join(' '));
    expect(lacking).toEqual([]);
  });
});

function helpText(cmd: import('commander').Command): string {
  let text = '';
  cmd.configureOutput({ writeOut: (s) => (text += s) });
  cmd.outputHelp();
  return text;
}
