// ssh_config(5) as sqlferry reads it, without any file or server: parsing, Host matching, first
// value wins, Include in place, tokens, ProxyJump, and the sentences for what it refuses.
import { describe, it, expect } from 'vitest';
import { parseConfig } from '../../src/remote/ssh/config-parse.ts';
import { hostMatches, resolveHost } from '../../src/remote/ssh/config.ts';
import type { Include, Wanted } from '../../src/remote/ssh/config.ts';

const local = { home: '/home/me', user: 'me' };
const noUrl: Wanted = { user: undefined, port: undefined };
const files: Record<string, string> = {};
const include: Include = (line) => line.args.map((name) => parseConfig(files[name] ?? '', name));
const resolve = (text: string, name: string, wanted = noUrl) => resolveHost(parseConfig(text, 'cfg'), name, wanted, local, include);

describe('ssh config: parsing', () => {
  it('reads Keyword value, Keyword=value, quotes, comments and any case', () => {
    const lines = parseConfig('# top\n\nHost a "b c"\n  port=2222 # trailing\n\tIDENTITYFILE = "~/my key"\n', 'f');
    expect(lines).toEqual([
      { file: 'f', line: 3, keyword: 'host', args: ['a', 'b c'] },
      { file: 'f', line: 4, keyword: 'port', args: ['2222'] },
      { file: 'f', line: 5, keyword: 'identityfile', args: ['~/my key'] },
    ]);
  });

  it('ignores keywords it does not use, but checks the ones it does, naming file and line', () => {
    expect(parseConfig('ForwardAgent yes\nWhatever 1 2 3\n', 'f')).toHaveLength(2);
    const cases: Array<[string, string]> = [
      ['Host a\n  Port twenty', 'cannot use the SSH config file f: line 2: Port must be a number from 1 to 65535, not "twenty"'],
      ['Host', 'line 1: Host needs a value'],
      ['User "bob', 'line 1: a quote is not closed'],
      ['StrictHostKeyChecking maybe', 'StrictHostKeyChecking must be one of yes, no, ask, accept-new, off, not "maybe"'],
      ['HostName a b', 'HostName takes one value, not 2'],
      ['-oPort 1', 'expected a keyword and its value, not "-oPort 1"'],
    ];
    for (const [text, message] of cases) {
      expect(() => parseConfig(text, 'f')).toThrow(message);
      expect(() => parseConfig(text, 'f')).toThrow(expect.objectContaining({ code: 'SSH_CONFIG_INVALID', data: expect.objectContaining({ file: 'f' }) }));
    }
  });
});

describe('ssh config: which settings apply', () => {
  it('matches * and ? patterns, several per line, and !negations', () => {
    expect(hostMatches(['db?', 'web*'], 'web-1')).toBe(true);
    expect(hostMatches(['db?'], 'db12')).toBe(false);
    expect(hostMatches(['*.example', '!secret.example'], 'secret.example')).toBe(false);
    expect(hostMatches(['!secret.example'], 'other')).toBe(false); // a negation alone matches nothing
    expect(hostMatches(['HUB'], 'hub')).toBe(true);
  });

  it('takes the first value obtained, so Host * defaults go last; the URL wins over both', () => {
    const text = 'Host hub\n  HostName %h.example\n  Port 2222\nHost *\n  Port 22\n  User deploy\n';
    expect(resolve(text, 'hub')).toMatchObject({ alias: 'hub', host: 'hub.example', port: 2222, user: 'deploy', jumps: [] });
    expect(resolve(text, 'other')).toMatchObject({ host: 'other', port: 22, user: 'deploy' });
    expect(resolve(text, 'hub', { user: 'alice', port: 2200 })).toMatchObject({ port: 2200, user: 'alice' });
    expect(resolve('', 'x')).toMatchObject({ host: 'x', port: 22, user: 'me', identityFiles: [], strictHostKeyChecking: 'yes', knownHostsFiles: ['/home/me/.ssh/known_hosts'] });
  });

  it('adds up IdentityFile lines in order, expanding ~ and %d %u %h %r %p', () => {
    const text = 'Host hub\n  HostName real\n  User git\n  IdentityFile ~/.ssh/%h_%r\nHost *\n  IdentityFile %d/k-%u-%p\n  IdentityFile ~/.ssh/%h_%r\n';
    expect(resolve(text, 'hub').identityFiles).toEqual(['/home/me/.ssh/real_git', '/home/me/k-me-22']);
    expect(() => resolve('IdentityFile %x', 'hub')).toThrow(/^cannot use the SSH config file cfg: line 1: sqlferry cannot expand %x there/);
  });

  it('reads the other options it uses', () => {
    const text = 'Host hub\n  IdentitiesOnly yes\n  UserKnownHostsFile ~/kh /etc/kh\n  StrictHostKeyChecking no\n  ConnectTimeout 5\n';
    expect(resolve(text, 'hub')).toMatchObject({ port: 22, identitiesOnly: true, knownHostsFiles: ['/home/me/kh', '/etc/kh'], strictHostKeyChecking: 'no', connectTimeout: 5 });
    expect(resolve('StrictHostKeyChecking ask', 'x').strictHostKeyChecking).toBe('yes');
    expect(resolve('StrictHostKeyChecking accept-new', 'x').strictHostKeyChecking).toBe('accept-new');
  });

  it('applies a Match block when all its criteria hold: host after HostName, originalhost, user, localuser, all, and !negations', () => {
    const text = [
      'Host hub', '  HostName hub.corp.example',
      'Match host *.corp.example', '  Port 2201',
      'Match originalhost hub user deploy', '  IdentityFile ~/.ssh/deploy',
      'Match localuser me !host *.corp.example', '  User fromlocal',
      'Match all', '  ConnectTimeout 7',
    ].join('\n');
    expect(resolve(text, 'hub')).toMatchObject({ host: 'hub.corp.example', port: 2201, user: 'me', identityFiles: [], connectTimeout: 7 });
    // The user criterion sees the URL's user.
    expect(resolve(text, 'hub', { user: 'deploy', port: undefined }).identityFiles).toEqual(['/home/me/.ssh/deploy']);
    // Another host: not under corp.example, so the negated block applies, the host one does not.
    expect(resolve(text, 'other')).toMatchObject({ host: 'other', port: 22, user: 'fromlocal', connectTimeout: 7 });
    expect(resolve('Match host a,b\n  Port 9\n', 'b').port).toBe(9);
    expect(() => resolve('Match host\n', 'a')).toThrow('line 1: Match host needs a pattern list');
  });

  it('refuses a Match criterion it cannot evaluate once reached, in one sentence, and passes one it never reaches', () => {
    const text = 'Match host *.corp exec "nc -z vpn 22"\n  ProxyJump gate\n';
    expect(resolve(text, 'hub.example')).toMatchObject({ host: 'hub.example', jumps: [] });
    expect(() => resolve(text, 'db.corp')).toThrow('cannot use the SSH config file cfg: line 1: sqlferry cannot evaluate Match exec, so it cannot tell whether that block applies to db.corp');
    expect(() => resolve(text, 'db.corp')).toThrow(expect.objectContaining({ code: 'SSH_CONFIG_UNSUPPORTED', exitCode: 2 }));
  });

  it('reads Include in place: each file starts matching every host, and the including block resumes after it', () => {
    files['a.conf'] = 'Port 2001\nHost other\n  User nobody\n';
    files['b.conf'] = 'User fromb\n';
    const text = 'Host hub\n  Include a.conf b.conf\n  HostName real\nHost other\n  Include a.conf\n';
    expect(resolve(text, 'hub')).toMatchObject({ port: 2001, user: 'fromb', host: 'real' });
    files['loop.conf'] = 'Include loop.conf\n';
    expect(() => resolve('Include loop.conf', 'hub')).toThrow('loop.conf: line 1: Include is nested more than 16 deep');
  });

  it('resolves ProxyJump hops through the same config, and refuses ProxyCommand in one sentence', () => {
    const text = 'Host hub\n  ProxyJump ops@bastion:2022,inner\nHost bastion\n  HostName 10.0.0.1\nHost inner\n  ProxyJump nowhere\n  User root\n';
    const { jumps } = resolve(text, 'hub');
    expect(jumps.map((j) => [j.host, j.port, j.user, j.jumps.length])).toEqual([['10.0.0.1', 2022, 'ops', 0], ['inner', 22, 'root', 0]]);
    expect(resolve('ProxyJump none', 'hub').jumps).toEqual([]);
    expect(() => resolve('ProxyJump a:b:c', 'hub')).toThrow('ProxyJump takes [user@]host[:port], not "a:b:c"');
    expect(() => resolve('Host hub\n  ProxyCommand nc %h %p', 'hub')).toThrow('ProxyCommand (cfg line 2) is not supported: sqlferry speaks SSH itself and cannot run a command to reach hub');
  });
});
