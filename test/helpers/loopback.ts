import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/** A loopback port nothing listens on (yet). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Pipe a connection to `target` on loopback, each end closing the other on error; the upstream socket. */
export function pipeTo(socket: Socket, target: number): Socket {
  const upstream = connect(target, '127.0.0.1');
  socket.pipe(upstream).pipe(socket);
  upstream.on('error', () => socket.destroy());
  socket.on('error', () => upstream.destroy());
  return upstream;
}
