import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Gateway } from './gateway.js';

/** A listening gateway. */
export interface RunningGateway {
  readonly url: string;
  readonly port: number;
  /** Stop accepting connections, then close the gateway. */
  close(): Promise<void>;
}

/** Serve a gateway's app on host:port (port 0 picks a free one) and start its outbox loop. */
export async function listenGateway(gateway: Gateway, host: string, port: number): Promise<RunningGateway> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const created = serve({ fetch: gateway.app.fetch, hostname: host, port }, () => resolve(created));
    created.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  gateway.outbox.start();
  gateway.logger.info({ host, port: address.port }, 'gateway listening');
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive sockets would otherwise hold close() open.
        if ('closeIdleConnections' in server) server.closeIdleConnections();
      });
      await gateway.close();
    },
  };
}
