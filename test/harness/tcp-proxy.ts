/**
 * A TCP proxy on a free local port in front of a real server, which can close the connections it
 * holds behind the client's back: the server side is gone, the client's socket stays open and
 * idle in its keep-alive pool, and the client's next request on it is answered with a reset (or a
 * hang-up). That is what a client sees when a server's keep-alive timeout, a restart or a load
 * balancer's idle cut closes a connection just as it is reused — made to happen every time.
 */
import net from 'node:net';

export interface TcpProxy {
  /** `host:port` of the proxy */
  address: string;
  /** connections accepted so far */
  readonly accepted: number;
  /**
   * Closes every open connection's server side; the next bytes the client sends on one are answered
   * with a TCP reset (`'reset'`: ECONNRESET) or a FIN (`'hangup'`: "socket hang up").
   */
  dropAll(how: 'reset' | 'hangup'): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<{ dropped?: 'reset' | 'hangup'; upstream: net.Socket; client: net.Socket }>();
  let accepted = 0;
  const server = net.createServer((client) => {
    accepted++;
    const upstream = net.connect(target.port, target.host);
    const conn: { dropped?: 'reset' | 'hangup'; upstream: net.Socket; client: net.Socket } = { upstream, client };
    open.add(conn);
    client.on('data', (d) => {
      if (conn.dropped === 'reset') client.resetAndDestroy();
      else if (conn.dropped === 'hangup') client.end();
      else upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (!conn.dropped) client.write(d);
    });
    client.on('error', () => {});
    upstream.on('error', () => {});
    client.on('close', () => {
      upstream.destroy();
      open.delete(conn);
    });
    upstream.on('close', () => {
      if (!conn.dropped) client.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    get accepted() {
      return accepted;
    },
    dropAll(how) {
      for (const conn of open) {
        conn.dropped = how;
        conn.upstream.destroy();
      }
    },
    async close() {
      for (const conn of open) conn.client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
