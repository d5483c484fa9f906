/**
 * Connections kept per host for a run: steps on the same host share one connection (channels are
 * cheap), up to `channelsPerConnection` at once, then another connection is opened. A connection that
 * drops is forgotten, so the next step reconnects. `close()` ends everything (the engine calls it at
 * the end of a run).
 */
import type { Duplex } from 'node:stream';
import type { Client } from 'ssh2';
import type { SecretLookup } from './auth.js';
import { connectHost } from './connect.js';
import { isSshError, SshError } from './errors.js';
import type { SeenHostKey } from './fingerprint.js';
import { startProxyCommand, type RunningProxy } from './proxy-command.js';
import type { ResolvedHost } from './resolve.js';

/** OpenSSH's MaxSessions defaults to 10; two stay free for kill channels and forwards. */
export const channelsPerConnection = 8;
const closeWaitMs = 2_000;

export interface LeaseOptions {
  secret?: SecretLookup | undefined;
  signal?: AbortSignal | undefined;
  /** Open a new connection even when one is open (which may be silently dead). */
  fresh?: boolean | undefined;
}

/** One channel slot on a live connection. Release it when the channel is closed. */
export interface Lease {
  readonly host: ResolvedHost;
  readonly client: Client;
  /** Keys seen on the way: every bastion's, then this host's. */
  readonly hostKeys: SeenHostKey[];
  /** Time spent connecting for this lease (0 when an open connection was reused). */
  readonly connectMs: number;
  /** Resolves with the reason when the connection drops (not when the pool closes it). */
  readonly lost: Promise<string>;
  alive(): boolean;
  /** Why the connection went away, once it has. */
  lostReason(): string | undefined;
  /** Drop a connection found dead (no answer): every channel on it ends, later leases reconnect. */
  discard(reason: string): void;
  release(): void;
}

export interface SshPool {
  lease(host: ResolvedHost, options?: LeaseOptions): Promise<Lease>;
  /** Ends every connection; later leases fail with POOL_CLOSED. Idempotent. */
  close(): Promise<void>;
  readonly closed: boolean;
}

interface PooledConnection {
  client: Client;
  hostKeys: SeenHostKey[];
  active: number;
  alive: boolean;
  lostReason: string | undefined;
  lost: Promise<string>;
  discard(reason: string): void;
}

interface Entry {
  connections: PooledConnection[];
  connecting: Promise<PooledConnection> | undefined;
}

function forwardOut(jump: Lease, host: ResolvedHost): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new SshError('CONNECT_TIMEOUT', `bastion ${jump.host.label} did not open a tunnel to ${host.label} within ${host.connectTimeoutMs} ms`, { host: host.label }));
    }, host.connectTimeoutMs);
    jump.client.forwardOut('127.0.0.1', 0, host.hostname, host.port, (error, stream) => {
      clearTimeout(timer);
      if (error) {
        reject(new SshError('CONNECT_FAILED', `bastion ${jump.host.label} could not reach ${host.hostname}:${host.port}: ${error.message}`, { host: host.label }));
      } else {
        resolve(stream);
      }
    });
  });
}

export function createSshPool(): SshPool {
  const entries = new Map<string, Entry>();
  const all = new Set<PooledConnection>();
  let closed = false;

  const open = async (host: ResolvedHost, options: LeaseOptions): Promise<PooledConnection> => {
    let jump: Lease | undefined;
    let sock: Duplex | undefined;
    let proxy: RunningProxy | undefined;
    if (host.proxyCommand) {
      proxy = startProxyCommand(host.proxyCommand);
      sock = proxy.stream;
    } else if (host.jump) {
      jump = await lease(host.jump, options);
      try {
        sock = await forwardOut(jump, host);
      } catch (error) {
        jump.release();
        throw error;
      }
      const bastion = jump;
      sock.once('close', () => bastion.release());
    }
    let connected;
    try {
      connected = await connectHost(host, { secret: options.secret, sock, signal: options.signal });
    } catch (error) {
      sock?.destroy();
      if (isSshError(error) && jump) error.hostKeys.unshift(...jump.hostKeys);
      throw error;
    }
    const { client } = connected;
    // The proxy lives exactly as long as its connection.
    if (proxy) client.once('close', () => proxy.stop());
    let lastError = '';
    let closing = false;
    let discarded: string | undefined;
    const connection: PooledConnection = {
      client,
      hostKeys: [...(jump?.hostKeys ?? []), connected.hostKey],
      active: 0,
      alive: true,
      lostReason: undefined,
      lost: new Promise<string>((resolve) => {
        client.on('error', (error: Error) => {
          lastError = error.message;
        });
        client.once('end', () => {
          closing = true;
        });
        client.once('close', () => {
          connection.alive = false;
          connection.lostReason = closed
            ? 'the ssh connections were closed'
            : (discarded ?? (lastError || (closing ? 'the server closed the connection' : 'the connection closed')));
          all.delete(connection);
          const entry = entries.get(host.key);
          if (entry) entry.connections = entry.connections.filter((c) => c !== connection);
          if (!closed) resolve(connection.lostReason);
        });
      }),
      discard: (reason) => {
        discarded ??= reason;
        client.destroy();
      },
    };
    if (closed) {
      client.end();
      throw new SshError('POOL_CLOSED', `connected to ${host.label} after the ssh connections were closed`, { host: host.label });
    }
    all.add(connection);
    return connection;
  };

  const leaseOn = (host: ResolvedHost, connection: PooledConnection, connectMs: number): Lease => {
    connection.active += 1;
    let released = false;
    return {
      host,
      client: connection.client,
      hostKeys: connection.hostKeys,
      connectMs,
      lost: connection.lost,
      alive: () => connection.alive,
      lostReason: () => connection.lostReason,
      discard: (reason) => connection.discard(reason),
      release: () => {
        if (released) return;
        released = true;
        connection.active -= 1;
      },
    };
  };

  const connectInto = async (entry: Entry, host: ResolvedHost, options: LeaseOptions): Promise<PooledConnection> => {
    const connection = await open(host, options);
    entry.connections.push(connection);
    return connection;
  };

  async function lease(host: ResolvedHost, options: LeaseOptions = {}): Promise<Lease> {
    let entry = entries.get(host.key);
    if (!entry) {
      entry = { connections: [], connecting: undefined };
      entries.set(host.key, entry);
    }
    const startedAt = performance.now();
    if (options.fresh) return leaseOn(host, await connectInto(entry, host, options), performance.now() - startedAt);
    let waited = false;
    for (;;) {
      if (closed) throw new SshError('POOL_CLOSED', `the ssh connections were closed; cannot reach ${host.label}`, { host: host.label });
      if (options.signal?.aborted) throw new SshError('CANCELLED', `cancelled before reaching ${host.label}`, { host: host.label });
      const free = entry.connections.find((c) => c.alive && c.active < channelsPerConnection);
      if (free) return leaseOn(host, free, waited ? performance.now() - startedAt : 0);
      waited = true;
      if (entry.connecting) {
        // Everyone waiting for the same host shares one attempt and, if it fails, its error; only a
        // cancellation that was not theirs sends them round again.
        try {
          await entry.connecting;
        } catch (error) {
          if (!(isSshError(error) && error.code === 'CANCELLED' && !options.signal?.aborted)) throw error;
        }
        continue;
      }
      const current = entry;
      current.connecting = connectInto(current, host, options).finally(() => {
        current.connecting = undefined;
      });
      await current.connecting;
    }
  }

  return {
    lease,
    get closed() {
      return closed;
    },
    async close() {
      if (closed) return;
      closed = true;
      const closing = [...all].map(
        (connection) =>
          new Promise<void>((resolve) => {
            if (!connection.alive) return resolve();
            const timer = setTimeout(() => {
              connection.client.destroy();
              resolve();
            }, closeWaitMs);
            connection.client.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
            connection.client.end();
          }),
      );
      await Promise.all(closing);
      entries.clear();
      all.clear();
    },
  };
}
