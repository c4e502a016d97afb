// \`sqlferry ARGS\`: the program (program.ts) with the commands ARGS names, each loaded only when
// named (commands/index.ts).
import { commandsFor } from './commands/index.ts';
import { run } from './program.ts';

export function main(argv: string[]): Promise<number> {
  return run(argv, commandsFor(argv));
}
