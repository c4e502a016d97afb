// A commit number given on the command line.
import { SqlferryError, EXIT } from '../../errors/index.ts';

export function parseSeq(text: string): number {
  if (!/^\d+$/.test(text)) {
    throw new SqlferryError('USAGE', `"${text}" is not a commit number`, { exitCode: EXIT.usage, hint: 'sqlferry log lists the commits' });
  }
  return Number(text);
}
