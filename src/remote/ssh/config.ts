// Which ssh_config(5) settings apply to a host, decided as ssh decides it: the Host blocks whose
// patterns match the name given (not the HostName it leads to), the Match blocks whose criteria
// all hold, the first value obtained winning (IdentityFile adds up instead), each Include read
// in place. Pure: `include` reads the files.
import { SqlferryError, EXIT } from '../../errors/index.ts';
import { configError } from './config-parse.ts';
import type { ConfigLine } from './config-parse.ts';
import { globMatch } from './known-hosts.ts';

export interface SshHost {
  /** The name the URL gives, which Host patterns match: an alias or the real name. */
  alias: string;
  host: string;
  port: number;
  user: string;
  /** IdentityFile, in order; none means the default ~/.ssh/id_* files. */
  identityFiles: string[];
  /** IdentitiesOnly yes: those files only, and not the agent's keys. */
  identitiesOnly: boolean;
  /** UserKnownHostsFile; the first is where an accepted key is recorded. */
  knownHostsFiles: string[];
  /** `ask` reads as `yes` (nothing here can ask); `no` records a new host like `accept-new` but never accepts a changed key. */
  strictHostKeyChecking: 'yes' | 'accept-new' | 'no';
  connectTimeout: number | undefined;
  /** ProxyJump hops in order: the first is reached directly, each next one through the one before. */
  jumps: SshHost[];
}

/** What the URL names explicitly: it wins over the config, as it does for ssh. */
export interface Wanted {
  user: string | undefined;
  port: number | undefined;
}

export interface Local {
  home: string;
  user: string;
}

/** The lines of each file an Include line names, one list per file, in order. */
export type Include = (line: ConfigLine) => ConfigLine[][];

const MAX_DEPTH = 16; // ssh's own Include limit, which also ends a file including itself

export function resolveHost(lines: ConfigLine[], name: string, wanted: Wanted, local: Local, include: Include, isHop = false): SshHost {
  const first = new Map<string, ConfigLine>();
  const identities: ConfigLine[] = [];
  collect(lines, { name, wanted, local }, include, first, identities, 0);
  const value = (keyword: string) => first.get(keyword)?.args[0];
  const tokens: Record<string, string> = { '%': '%', h: name };
  const hostLine = first.get('hostname');
  const host = hostLine ? expand(hostLine, hostLine.args[0]!, tokens) : name;
  const user = wanted.user ?? value('user') ?? local.user;
  const port = wanted.port ?? Number(value('port') ?? 22);
  Object.assign(tokens, { h: host, r: user, u: local.user, d: local.home, p: String(port) });
  const path = (l: ConfigLine, arg: string) => expand(l, arg.replace(/^~(?=\/|$)/, local.home), tokens);
  const proxyCommand = first.get('proxycommand');
  if (proxyCommand && proxyCommand.args[0]!.toLowerCase() !== 'none') {
    throw new SqlferryError('SSH_PROXY_COMMAND_UNSUPPORTED', `ProxyCommand (${proxyCommand.file} line ${proxyCommand.line}) is not supported: sqlferry speaks SSH itself and cannot run a command to reach ${name}`, {
      data: { file: proxyCommand.file, line: proxyCommand.line, host: name },
      hint: 'use ProxyJump [user@]jumphost[:port] for that host instead',
    });
  }
  const known = first.get('userknownhostsfile');
  const strict = value('stricthostkeychecking')?.toLowerCase();
  const timeout = value('connecttimeout');
  return {
    alias: name, host, port, user,
    identityFiles: [...new Set(identities.map((l) => path(l, l.args[0]!)))],
    identitiesOnly: value('identitiesonly')?.toLowerCase() === 'yes',
    knownHostsFiles: known ? known.args.map((a) => path(known, a)) : [`${local.home}/.ssh/known_hosts`],
    strictHostKeyChecking: strict === 'accept-new' ? 'accept-new' : strict === 'no' || strict === 'off' ? 'no' : 'yes',
    connectTimeout: timeout === undefined || timeout === 'none' ? undefined : Number(timeout),
    // A hop's own ProxyJump is not followed: one chain, written where the target is.
    jumps: isHop ? [] : hops(first.get('proxyjump'), lines, local, include),
  };
}

/** Who is being connected to, as the URL says it: what Host and Match lines are matched against. */
interface Target {
  name: string;
  wanted: Wanted;
  local: Local;
}

function collect(lines: ConfigLine[], target: Target, include: Include, first: Map<string, ConfigLine>, identities: ConfigLine[], depth: number): void {
  let active = true; // lines before the first Host apply to every host; each included file starts so too
  for (const l of lines) {
    if (l.keyword === 'host') active = hostMatches(l.args, target.name);
    else if (l.keyword === 'match') active = matchHolds(l, target, first);
    else if (!active) continue;
    else if (l.keyword === 'include') {
      if (depth >= MAX_DEPTH) throw configError(l.file, l.line, `Include is nested more than ${MAX_DEPTH} deep (does a file include itself?)`);
      for (const file of include(l)) collect(file, target, include, first, identities, depth + 1);
    } else if (l.keyword === 'identityfile') identities.push(l);
    else if (!first.has(l.keyword)) first.set(l.keyword, l);
  }
}

const MATCH_SUBJECTS = ['host', 'originalhost', 'user', 'localuser'];

/**
 * A Match line holds when each of its criteria does, read left to right: `all`; `host` (the
 * HostName obtained so far, else the name given), `originalhost` (the name given), `user` (the
 * URL's user, else the User obtained so far, else the local user) and `localuser`, each with a
 * pattern list; any criterion negated with `!`. The others (exec, canonical, final,
 * localnetwork, tagged) sqlferry cannot decide: reached, they are refused rather than guessed,
 * since whether their block applies can decide how to connect.
 */
function matchHolds(l: ConfigLine, target: Target, first: Map<string, ConfigLine>): boolean {
  for (let i = 0; i < l.args.length; i++) {
    const negated = l.args[i]!.startsWith('!');
    const criterion = l.args[i]!.slice(negated ? 1 : 0).toLowerCase();
    let holds: boolean;
    if (criterion === 'all') holds = true;
    else if (MATCH_SUBJECTS.includes(criterion)) {
      const patterns = l.args[++i];
      if (patterns === undefined) throw configError(l.file, l.line, `Match ${criterion} needs a pattern list`);
      holds = hostMatches(patterns.split(','), matchSubject(criterion, target, first));
    } else {
      throw new SqlferryError('SSH_CONFIG_UNSUPPORTED', `cannot use the SSH config file ${l.file}: line ${l.line}: sqlferry cannot evaluate Match ${criterion}, so it cannot tell whether that block applies to ${target.name}`, {
        data: { file: l.file, line: l.line, host: target.name },
        exitCode: EXIT.usage,
        hint: `give ${target.name} a Host block of its own before that line, or name another config file with SQLFERRY_SSH_CONFIG`,
      });
    }
    if (holds === negated) return false;
  }
  return true;
}

function matchSubject(criterion: string, target: Target, first: Map<string, ConfigLine>): string {
  if (criterion === 'originalhost') return target.name;
  if (criterion === 'localuser') return target.local.user;
  if (criterion === 'user') return target.wanted.user ?? first.get('user')?.args[0] ?? target.local.user;
  const hostName = first.get('hostname');
  return hostName ? expand(hostName, hostName.args[0]!, { '%': '%', h: target.name }) : target.name;
}

/** A Host line matches when one of its patterns does and none of its !negated ones. */
export function hostMatches(patterns: string[], name: string): boolean {
  let matched = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), name)) return false;
    } else if (globMatch(p, name)) matched = true;
  }
  return matched;
}

function expand(l: ConfigLine, text: string, tokens: Record<string, string>): string {
  return text.replace(/%(.?)/g, (_, c: string) => {
    const v = tokens[c];
    if (v === undefined) throw configError(l.file, l.line, `sqlferry cannot expand ${c ? `%${c}` : 'a lone %'} there (it knows ${Object.keys(tokens).map((t) => `%${t}`).join(' ')})`);
    return v;
  });
}

function hops(line: ConfigLine | undefined, lines: ConfigLine[], local: Local, include: Include): SshHost[] {
  if (!line || line.args[0]!.toLowerCase() === 'none') return [];
  return line.args[0]!.split(',').map((spec) => {
    const m = /^(?:ssh:\/\/)?(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s/]+)(?::(\d+))?$/.exec(spec);
    if (!m) throw configError(line.file, line.line, `ProxyJump takes [user@]host[:port], not ${JSON.stringify(spec)}`);
    const hop = { user: m[1], port: m[3] === undefined ? undefined : Number(m[3]) };
    return resolveHost(lines, m[2]!.replace(/^\[(.*)\]$/, '$1'), hop, local, include, true);
  });
}
