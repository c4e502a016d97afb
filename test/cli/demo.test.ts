// `npm run demo` (bin/demo.sh) runs to its end, and the commands it prints can be pasted into
// a shell: read back by bash, each gives the arguments the demo ran.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const demo = fileURLToPath(new URL('../../bin/demo.sh', import.meta.url));

/** The arguments bash reads from `text`, as a user pasting it would get them. */
function bashWords(text: string): string[] {
  const r = spawnSync('bash', ['-c', 'eval "set -- $1"; printf "%s\\0" "$@"', '_', text], { encoding: 'utf8' });
  return r.stdout.split('\0').slice(0, -1);
}

describe('the demo', () => {
  it('runs, and prints its commands quoted so that they can be pasted', () => {
    const r = spawnSync('bash', [demo], { encoding: 'utf8', env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` } });
    expect(r.status, r.stderr).toBe(0);
    const commands = r.stdout.split('\n').filter((l) => l.startsWith('$ sqlferry ')).map((l) => bashWords(l.slice('$ sqlferry '.length)));
    expect(commands).toContainEqual(['--db', 'laptop.db', 'exec', "UPDATE Artist SET Name = 'AC/DC (laptop)' WHERE ArtistId = 1", '-m', 'rename AC/DC on the laptop']);
    expect(commands).toContainEqual(['--db', 'server.db', 'exec', "INSERT INTO Genre (GenreId, Name) VALUES (26, 'Polka')", '-m', 'new genre on the server']);
    expect(commands).toContainEqual(['clone', './hub', 'server.db']);
  });
});
