// Docs that run: every shell block of README.md and docs/SERVE.md is run by bash in a temporary
// folder, as written but for its paths (/srv/…, /etc/sqlferry, /usr/local/bin become folders
// under that one) and its listening address (127.0.0.1, a free port). `sqlferry` is this
// checkout's. A block whose comment says `setup: …` gets that prepared first, by the setup of
// that exact text below; `not run: …` blocks are the few that cannot run here.
import { describe, it, expect, afterEach } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pkg from '../../package.json' with { type: 'json' };
import { startSshd } from '../remote/sshd.ts';
import { asScript, shellBlocks, type DocBlock } from './doc-blocks.ts';
import { BIN } from '../cli-bin.ts';
import { Replica } from '../../src/repo/replica.ts';
import { addRemote } from '../../src/sync/remotes.ts';
import { initHub } from '../../src/sync/init-hub.ts';
import { cloneReplica, newHub, syncEach } from '../sync/helpers.ts';

const blocks = [...shellBlocks('README.md'), ...shellBlocks('docs/SERVE.md')];
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const done of cleanups.splice(0).reverse()) await done();
});

interface Place {
  dir: string;
  env: Record<string, string>;
}

/** A temp folder standing in for /, with this checkout's sqlferry in its bin/. */
function newPlace(): Place {
  const dir = mkdtempSync(join(tmpdir(), 'sqlferry-docs-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  for (const sub of ['bin', 'home', 'srv/hubs', 'etc/sqlferry']) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, 'bin', 'sqlferry'), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`);
  chmodSync(join(dir, 'bin', 'sqlferry'), 0o755);
  return { dir, env: { PATH: `${join(dir, 'bin')}:/usr/bin:/bin`, HOME: join(dir, 'home'), NO_COLOR: '1' } };
}

function localized(text: string, dir: string): string {
  return text
    .replaceAll('/srv/', `${dir}/srv/`).replaceAll('/etc/sqlferry', `${dir}/etc/sqlferry`).replaceAll('/usr/local/bin', `${dir}/bin`)
    .replaceAll('0.0.0.0', '127.0.0.1').replace(/--port \d+/g, '--port 0');
}

function scriptOf(block: DocBlock, place: Place): string {
  const path = join(place.dir, `block-${block.line}.sh`);
  writeFileSync(path, asScript(localized(block.text, place.dir)));
  return path;
}

function runBlock(block: DocBlock, place: Place, cwd = place.dir): { status: number | null; stdout: string; stderr: string } {
  return spawnSync('bash', [scriptOf(block, place)], { cwd, env: place.env, encoding: 'utf8' });
}

function sh(place: Place, cwd: string, command: string): string {
  const r = spawnSync('sh', ['-c', command], { cwd, env: place.env, encoding: 'utf8' });
  expect(r.status, `${command}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

const PRICES = 'CREATE TABLE price(id INTEGER PRIMARY KEY, amount INTEGER NOT NULL); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) INSERT INTO price SELECT i, i * 10 FROM n;';

function price(db: string, id: number): string {
  return spawnSync('sqlite3', [db, `SELECT amount FROM price WHERE id = ${id}`], { encoding: 'utf8' }).stdout.trim();
}

/** What each `setup:` comment asks for: prepare, run the block, check what it did. */
const setups: Record<string, (block: DocBlock) => Promise<void>> = {
  'a database app.db with a table price, and a changeset fix.changeset; an SSH server "hub"': async (block) => {
    const place = newPlace();
    sh(place, place.dir, `sqlite3 app.db '${PRICES}'`);
    sh(place, place.dir, `sqlite3 a.db 'CREATE TABLE price(id INTEGER PRIMARY KEY, amount INTEGER NOT NULL)' && cp a.db b.db && sqlite3 b.db 'INSERT INTO price VALUES (100, 5)' && sqldiff --changeset fix.changeset a.db b.db && rm a.db b.db`);
    const sshd = await startSshd();
    cleanups.push(() => sshd.stop());
    writeFileSync(join(sshd.home, '.ssh', 'config'), `Host hub\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User ${sshd.user}\n`);
    place.env.HOME = sshd.home;
    const r = runBlock(block, place);
    expect(r.status, r.stderr).toBe(0);
    expect(price(join(place.dir, 'copy.db'), 100)).toBe('5');
    expect(price(join(place.dir, 'copy.db'), 7)).toBe(price(join(place.dir, 'app.db'), 7));
  },

  'app.db changed price 7, and another replica changed it first and synced': async (block) => {
    const place = newPlace();
    const other = join(place.dir, 'other');
    mkdirSync(other);
    // The scene is set in-process: the block's own commands are what runs here.
    sh(place, place.dir, `sqlite3 app.db '${PRICES}'`);
    const hub = join(place.dir, 'srv', 'hubs', 'app');
    await initHub(hub);
    addRemote(Replica.init(join(place.dir, 'app.db')), 'origin', hub);
    await syncEach(hub, [join(place.dir, 'app.db')]);
    await cloneReplica(other, hub, 'app');
    sh(place, other, `sqlite3 app.db 'UPDATE price SET amount = 8 WHERE id = 7'`);
    await syncEach(hub, [join(other, 'app.db')]);
    sh(place, place.dir, `sqlite3 app.db 'UPDATE price SET amount = 10 WHERE id = 7'`);
    const r = runBlock(block, place);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`conflict #1: data on price {"id":7}: the hub's version was kept`);
    expect(price(join(place.dir, 'app.db'), 7)).toBe('10');
  },

  'a replica app.db in /srv/app with a change to sync; sqlferry in /usr/local/bin': async (block) => {
    const place = newPlace();
    const app = join(place.dir, 'srv', 'app');
    mkdirSync(app);
    sh(place, app, `sqlite3 app.db '${PRICES}'`);
    addRemote(Replica.init(join(app, 'app.db')), 'origin', await newHub(app)); // in-process: the cron line is what runs here
    sh(place, app, `sqlite3 app.db 'UPDATE price SET amount = 1 WHERE id = 1'`);
    const r = runBlock(block, place);
    expect(r).toMatchObject({ status: 0, stdout: '', stderr: '' });
    expect(sh(place, app, 'sqlferry status')).toContain('Every commit is on the hub (the hub had 1 entry');
  },

  'a certificate and key in /etc/sqlferry; the server runs until a client has made a hub through it': async (block) => {
    const place = newPlace();
    const etc = join(place.dir, 'etc', 'sqlferry');
    sh(place, etc, 'openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout key.pem -out cert.pem -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null');
    const server = spawn('bash', [scriptOf(block, place)], { cwd: place.dir, env: place.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(() => server.exitCode === null && process.kill(-server.pid!, 'SIGTERM'));
    let stdout = '';
    let stderr = '';
    server.stderr.on('data', (d) => (stderr += d));
    const said = /^# (Serving .*)$/m.exec(localized(block.text, place.dir))![1]!;
    const expected = new RegExp(`^${said.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace('8443', '(\\d+)')}$`, 'm');
    const port = await new Promise<string>((resolve, reject) => {
      server.stdout.on('data', (d) => {
        stdout += d;
        const m = expected.exec(stdout);
        if (m) resolve(m[1]!);
      });
      server.on('exit', () => reject(new Error(`serve exited: ${stdout}${stderr}`)));
    });
    const token = readFileSync(join(etc, 'token'), 'utf8').trim();
    const made = spawnSync('sqlferry', ['init', '--bare', `https://127.0.0.1:${port}/app`], {
      env: { ...place.env, SQLFERRY_TOKEN: token, NODE_EXTRA_CA_CERTS: join(etc, 'cert.pem') }, encoding: 'utf8',
    });
    expect(made.status, made.stderr).toBe(0);
    expect(existsSync(join(place.dir, 'srv', 'hubs', 'app', 'sqlferry-hub.json'))).toBe(true);
  },
};

describe('the shell blocks of the docs', () => {
  for (const block of blocks) {
    const name = `${block.file}:${block.line} ${block.text.split('\n')[0]}`;
    if (block.notRun !== undefined) {
      it.skip(`${name} (not run: ${block.notRun})`, () => {});
      continue;
    }
    it(name, async () => {
      if (block.setup === undefined) {
        const r = runBlock(block, newPlace());
        expect(r.status, r.stderr).toBe(0);
        return;
      }
      const setup = setups[block.setup];
      expect(setup, `a setup for "${block.setup}" in ${import.meta.filename}`).toBeDefined();
      await setup!(block);
    }, 180_000);
  }

  it('are few that do not run, each saying why', () => {
    const notRun = blocks.filter((b) => b.notRun !== undefined);
    expect(notRun.length).toBeLessThanOrEqual(5);
    for (const b of notRun) expect(b.notRun!.length).toBeGreaterThan(10);
  });

  it("name the npm package's tarball as npm pack makes it", () => {
    const install = blocks.find((b) => b.text.includes('npm pack &&'))!;
    expect(install.text).toContain(`npm install -g ./sqlferry-${pkg.version}.tgz`);
  });
});
