// The list of commands, in the order --help shows them. One line per command module.
import type { Command } from 'commander';

export const commands: Array<(program: Command) => void> = [
];
