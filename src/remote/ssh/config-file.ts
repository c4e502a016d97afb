// Where an SSH remote really is: the URL read through the user's ssh config, ~/.ssh/config (or
// the file SQLFERRY_SSH_CONFIG names, as `ssh -F` would), so `ssh://myserver/...` goes where
// `ssh myserver` goes. The system file /etc/ssh/ssh_config is not read.
import { globSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { SqlferryError, EXIT } from '../../errors/index.ts';
import { parseConfig } from './config-parse.ts';
import type { ConfigLine } from './config-parse.ts';
import { resolveHost } from './config.ts';
import type { SshHost } from './config.ts';
import type { SshLocation } from './url.ts';

export function sshHostOf(at: SshLocation): SshHost {
  const home = homedir();
  const named = process.env.SQLFERRY_SSH_CONFIG;
  const lines = readConfig(named || join(home, '.ssh', 'config'), Boolean(named)) ?? [];
  return resolveHost(lines, at.host, at, { home, user: userInfo().username }, (line) => included(line, home));
}

/** An Include's files: relative names are in ~/.ssh, globs expand sorted, and one matching nothing is skipped (as ssh does). */
function included(line: ConfigLine, home: string): ConfigLine[][] {
  const files = line.args.flatMap((arg) => {
    const pattern = arg.replace(/^~(?=\/|$)/, home);
    return globSync(isAbsolute(pattern) ? pattern : join(home, '.ssh', pattern)).sort();
  });
  return files.map((file) => readConfig(file, true, line) ?? []);
}

/** A missing ~/.ssh/config is an empty one; a file named explicitly must be there. */
function readConfig(file: string, required: boolean, from?: ConfigLine): ConfigLine[] | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    const by = from ? ` included by ${from.file} line ${from.line}` : process.env.SQLFERRY_SSH_CONFIG ? ' named by SQLFERRY_SSH_CONFIG' : '';
    throw new SqlferryError('SSH_CONFIG_UNREADABLE', `cannot read the SSH config file ${file}${by} (${(err as Error).message})`, {
      data: { file },
      exitCode: EXIT.usage,
      hint: 'make the file readable, or point SQLFERRY_SSH_CONFIG at another one',
    });
  }
  return parseConfig(text, file);
}
