// The SSH transport's socket: what ssh2 writes in one turn of the event loop is held and sent
// together after it (one system call instead of one per piece), or as soon as 64 KiB are held;
// every byte arrives, in order.
import { describe, it, expect, afterEach } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { coalescedSocket } from '../../src/remote/ssh/coalesced-socket.ts';

let server: Server | undefined;
afterEach(() => server?.close());

/** A connected coalesced socket, and everything the other end received, resolved when the socket ends. */
async function connected(): Promise<{ socket: Socket; received: Promise<Buffer> }> {
  let settle!: (bytes: Buffer) => void;
  const received = new Promise<Buffer>((resolve) => (settle = resolve));
  server = createServer((peer) => {
    const chunks: Buffer[] = [];
    peer.on('data', (d: Buffer) => chunks.push(d)).on('end', () => settle(Buffer.concat(chunks)));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const socket = coalescedSocket({ host: '127.0.0.1', port: (server.address() as { port: number }).port });
  await once(socket, 'connect');
  return { socket, received };
}

describe('coalescedSocket', () => {
  it('holds the writes of one turn and sends them after it, every byte in order', async () => {
    const { socket, received } = await connected();
    const pieces = [Buffer.from([0, 0, 0, 9]), Buffer.from('encrypted'), Buffer.alloc(16, 7)];
    for (const piece of pieces) socket.write(piece);
    expect(socket.writableLength).toBe(29); // held, not yet handed to the system
    await new Promise(setImmediate);
    expect(socket.writableLength).toBe(0);
    socket.end();
    expect(await received).toEqual(Buffer.concat(pieces));
  });

  it('sends at once when 64 KiB are held, and holds what follows again', async () => {
    const { socket, received } = await connected();
    socket.write(Buffer.alloc(40 * 1024, 1));
    expect(socket.writableLength).toBe(40 * 1024);
    socket.write(Buffer.alloc(30 * 1024, 2));
    expect(socket.writableLength).toBeLessThan(70 * 1024); // released: the system took some or all
    const before = socket.writableLength;
    socket.write(Buffer.from('next'));
    expect(socket.writableLength).toBe(before + 4);
    await new Promise(setImmediate);
    socket.end();
    expect(await received).toEqual(Buffer.concat([Buffer.alloc(40 * 1024, 1), Buffer.alloc(30 * 1024, 2), Buffer.from('next')]));
  });
});
