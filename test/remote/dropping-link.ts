// A real TCP link between a client and a server that drops every connection (both ways) once
// a number of bytes have crossed in one direction: a cable pulled mid-transfer, on demand.
import { createServer, connect } from 'node:net';
import type { Socket } from 'node:net';

export interface DroppingLink {
  port: number;
  close(): Promise<void>;
}

export async function droppingLink(target: { host: string; port: number }, direction: 'down' | 'up', bytes: number): Promise<DroppingLink> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    let crossed = 0;
    const counted = direction === 'up' ? client : upstream;
    counted.on('data', (chunk: Buffer) => {
      crossed += chunk.length;
      if (crossed > bytes) {
        client.destroy();
        upstream.destroy();
      }
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
