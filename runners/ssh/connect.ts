/**
 * One SSH connection: host key verified during key exchange (before authentication), credentials from
 * `prepareAuth`, keepalives on, a bounded handshake. Failures become SshErrors that say which host, which
 * stage and why.
 */
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { Client, ConnectConfig, ServerHostKeyAlgorithm } from 'ssh2';
import { prepareAuth, type SecretLookup } from './auth.js';
import { SshError } from './errors.js';
import type { SeenHostKey } from './fingerprint.js';
import { prepareHostKeyCheck } from './host-key.js';
import type { ResolvedHost } from './resolve.js';

export interface ConnectOptions {
  secret?: SecretLookup | undefined;
  /** An open stream to the host through its bastion, when it has one. */
  sock?: Duplex | undefined;
  signal?: AbortSignal | undefined;
}

export interface Connected {
  client: Client;
  /** The key this host presented (accepted). */
  hostKey: SeenHostKey;
}

export function addressOf(host: ResolvedHost): string {
  return `${host.hostname}:${host.port}`;
}

function socketReason(error: Error & { code?: unknown }): string {
  return typeof error.code === 'string' ? `${error.code} (${error.message})` : error.message;
}

/** Connect and authenticate. Rejects with an SshError; a refused host key never reaches authentication. */
export async function connectHost(host: ResolvedHost, options: ConnectOptions = {}): Promise<Connected> {
  const check = await prepareHostKeyCheck(host.hostKey, host);
  const auth = await prepareAuth(host, options.secret);
  if (options.signal?.aborted) throw new SshError('CANCELLED', `connecting to ${host.label} was cancelled`, { host: host.label });

  const client = new ssh2.Client();
  const config: ConnectConfig = {
    host: host.hostname,
    port: host.port,
    username: host.user,
    hostVerifier: (key: Buffer) => check.verify(key),
    authHandler: auth.handler,
    readyTimeout: host.connectTimeoutMs,
    keepaliveInterval: host.keepaliveIntervalMs,
    keepaliveCountMax: host.keepaliveCountMax,
    ...(check.algorithms ? { algorithms: { serverHostKey: check.algorithms as ServerHostKeyAlgorithm[] } } : {}),
    ...(options.sock ? { sock: options.sock } : {}),
    ...(host.family === 4 ? { forceIPv4: true } : host.family === 6 ? { forceIPv6: true } : {}),
  };

  return new Promise<Connected>((resolve, reject) => {
    let settled = false;
    const via = host.jump ? ` via ${host.jump.label}` : host.proxyCommand ? ` via ProxyCommand` : '';
    const where = `${host.label} (${addressOf(host)}${via})`;
    const fail = (error: SshError): void => {
      if (settled) return;
      settled = true;
      if (check.seen) error.hostKeys.push(check.seen);
      options.signal?.removeEventListener('abort', onAbort);
      client.destroy();
      reject(error);
    };
    const onAbort = (): void => {
      fail(new SshError('CANCELLED', `connecting to ${where} was cancelled`, { host: host.label }));
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    client.once('ready', () => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      const hostKey = check.seen;
      if (!hostKey) {
        client.destroy();
        reject(new SshError('CONNECT_FAILED', `${where}: handshake finished without a host key`, { host: host.label }));
        return;
      }
      resolve({ client, hostKey });
    });
    client.on('error', (error: Error & { level?: string; code?: unknown }) => {
      if (check.rejection) return fail(check.rejection);
      switch (error.level) {
        case 'client-authentication':
          return fail(new SshError('AUTH_FAILED', `authentication as ${host.user} on ${where} failed: ${auth.describe()}`, { host: host.label }));
        case 'client-timeout':
          return fail(
            new SshError('CONNECT_TIMEOUT', `no SSH handshake with ${where} within ${host.connectTimeoutMs} ms`, { host: host.label, cause: error }),
          );
        case 'client-socket':
        case 'client-dns':
          return fail(new SshError('CONNECT_FAILED', `cannot connect to ${where}: ${socketReason(error)}`, { host: host.label, cause: error }));
        default:
          return fail(new SshError('CONNECT_FAILED', `SSH handshake with ${where} failed: ${error.message}`, { host: host.label, cause: error }));
      }
    });
    client.once('close', () => {
      fail(check.rejection ?? new SshError('CONNECT_FAILED', `${where} closed the connection during the handshake`, { host: host.label }));
    });
    client.connect(config);
  });
}
