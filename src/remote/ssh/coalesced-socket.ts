// A TCP socket whose writes within one turn of the event loop leave in one system call. ssh2
// writes each SSH packet in three pieces (length, encrypted body, MAC), and with Nagle off
// (connect.ts) each piece is a write of its own: a push of 6.6 MB made ~600 of them.
import { Socket, type TcpNetConnectOpts } from 'node:net';

/** Bytes held at most before they are sent anyway: the server starts on them while more are encrypted. */
const HOLD_BYTES = 64 * 1024;

/** A socket connecting to `to`. */
export function coalescedSocket(to: TcpNetConnectOpts): Socket {
  // connect() puts Socket.prototype.write back on the socket: replaced after it.
  const socket = new Socket().connect(to);
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  let held = 0;
  let corked = false;
  const release = () => {
    if (!corked) return;
    corked = false;
    held = 0;
    socket.uncork();
  };
  socket.write = ((chunk: Uint8Array | string, ...rest: unknown[]) => {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(release);
    }
    const ok = write(chunk, ...rest);
    held += chunk.length;
    if (held >= HOLD_BYTES) release();
    return ok;
  }) as Socket['write'];
  return socket;
}
