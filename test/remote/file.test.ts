import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it, expect } from 'vitest';
import { remoteConformance } from './conformance.ts';
import { fileRemote, folderOf, folderStore } from '../../src/remote/file/index.ts';
import { schemeOf, openRemote } from '../../src/remote/registry.ts';

let n = 0;
const storeOf = async (url: string) => folderStore(url, folderOf(url));

const root = await mkdtemp(join(tmpdir(), 'sqlferry-file-remote-'));
// Run it once addressed by path and once by file:// URL: both must behave the same.
remoteConformance('file (path)', {
  freshUrl: async () => join(root, `hub${n++}`),
  create: (url, info) => fileRemote.create(url, info),
  open: (url) => openRemote(url),
  storeOf,
});
remoteConformance('file (file:// URL)', {
  freshUrl: async () => pathToFileURL(join(root, `hub${n++}`)).href,
  create: (url, info) => fileRemote.create(url, info),
  open: (url) => openRemote(url),
  storeOf,
});

describe('remote URLs', () => {
  it('picks the transport by scheme', () => {
    expect(schemeOf('/srv/hub')).toBe('file');
    expect(schemeOf('./hub')).toBe('file');
    expect(schemeOf('file:///srv/hub')).toBe('file');
    expect(schemeOf('ssh://me@host/srv/hub')).toBe('ssh');
    expect(schemeOf('me@host:srv/hub')).toBe('ssh');
    // scp-like as git reads it: a colon before any slash; an ~/.ssh/config alias needs no user.
    expect(schemeOf('hubhost:/srv/hub')).toBe('ssh');
    expect(schemeOf('hubhost:hubs/app')).toBe('ssh');
    expect(schemeOf('/srv/a:b')).toBe('file');
    expect(schemeOf('C:/hubs/app')).toBe('file');
    expect(schemeOf('https://hub.example/r')).toBe('http');
  });

  it('answers an unknown scheme with one sentence', async () => {
    expect(() => schemeOf('ftp://host/x')).toThrow(/cannot use "ftp:\/\/host\/x" as a remote: the scheme ftp:\/\/ is not one sqlferry knows/);
    await expect(openRemote('ftp://host/x')).rejects.toMatchObject({ code: 'REMOTE_URL_UNSUPPORTED', exitCode: 2 });
  });

  it('refuses to create a hub in a folder that holds other files', async () => {
    const dir = join(root, 'busy');
    await fileRemote.create(dir, { format: 'sqlferry-hub', version: 1, hubId: 'x', kind: 'changeset', created: '' }).catch(() => {});
    const hidden = join(root, 'only-hidden');
    await mkdir(hidden);
    await writeFile(join(hidden, '.DS_Store'), 'x'); // hidden files do not make a folder taken
    await fileRemote.create(hidden, { format: 'sqlferry-hub', version: 1, hubId: 'x', kind: 'changeset', created: '' });
    await writeFile(join(root, 'plain.txt'), 'x');
    await expect(fileRemote.create(root, { format: 'sqlferry-hub', version: 1, hubId: 'x', kind: 'changeset', created: '' })).rejects.toMatchObject({ code: 'HUB_DIR_NOT_EMPTY' });
  });
});
