/**
 * A small HTTP proxy in front of radosgw that injects faults: the first `failFirst` requests get a
 * 503 SlowDown (what S3 answers when throttling) or have their connection reset; the rest pass through
 * unchanged (the Host header too, so request signatures stay valid). Listens on 127.0.0.1 only.
 */
import { createServer, request as forward, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault = 'slowdown' | 'reset';

/** One request as the proxy saw it; `body` only for small ones (a canary marker, not a multipart part). */
export interface ProxiedRequest {
  method: string;
  url: string;
  faulted: boolean;
  body?: string;
}

const keptBodyBytes = 64 * 1024;

export interface FaultProxy {
  endpoint: string;
  /** Requests seen, faulted or not. */
  readonly requests: number;
  /** Every request, in arrival order. */
  readonly log: readonly ProxiedRequest[];
  /** Fault the next `count` requests (a count of Infinity faults them all). */
  fail(count: number, fault: Fault): void;
  close(): Promise<void>;
}

const slowDownBody = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>';

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  let remaining = 0;
  let fault: Fault = 'slowdown';
  let requests = 0;
  const log: ProxiedRequest[] = [];

  const handle = (incoming: IncomingMessage, outgoing: ServerResponse): void => {
    requests += 1;
    const entry: ProxiedRequest = { method: incoming.method ?? '', url: incoming.url ?? '', faulted: remaining > 0 };
    log.push(entry);
    const chunks: Buffer[] = [];
    let size = 0;
    incoming.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= keptBodyBytes) chunks.push(chunk);
    });
    incoming.on('end', () => {
      if (size > 0 && size <= keptBodyBytes) entry.body = Buffer.concat(chunks).toString('utf8');
    });
    if (remaining > 0) {
      remaining -= 1;
      incoming.resume();
      if (fault === 'reset') {
        incoming.socket.destroy();
        return;
      }
      outgoing.writeHead(503, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(slowDownBody) }).end(slowDownBody);
      return;
    }
    const upstreamRequest = forward(
      { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
      },
    );
    upstreamRequest.on('error', () => outgoing.destroy());
    incoming.pipe(upstreamRequest);
  };

  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    log,
    fail(count, kind) {
      remaining = count;
      fault = kind;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
