import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { httpRunner } from '../../runners/http/definition.js';
import { createTestAttempt, until } from './attempt-context.js';

const sha256 = (data: string): string => createHash('sha256').update(data).digest('hex');
const runner = await httpRunner.load();
const servers: Server[] = [];

type Handler = (request: IncomingMessage, response: ServerResponse, body: string) => void;

/** A real HTTP server on 127.0.0.1; `port` 0 picks a free one. */
async function serve(handler: Handler, port = 0): Promise<{ server: Server; base: string; port: number }> {
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      handler(request, response, body);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = (server.address() as AddressInfo).port;
  return { server, base: `http://127.0.0.1:${actual}`, port: actual };
}

async function freePort(): Promise<number> {
  const { server, port } = await serve(() => undefined);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

describe('http runner', () => {
  it('passes after `consecutive` passing probes and reports status, body and counts', async () => {
    const { base } = await serve((_request, response) => response.end('healthy'));
    const attempt = createTestAttempt({ options: { url: `${base}/health`, consecutive: 3, interval: '10ms' } });
    const observation = await runner.run(attempt.ctx);
    expect(observation).toEqual({
      status: 200,
      body: { text: 'healthy', bytes: 7, truncated: false, sha256: sha256('healthy') },
      details: { url: `${base}/health`, method: 'GET', probes: 3, passesInARow: 3, consecutive: 3 },
    });
    expect(attempt.judged).toHaveLength(3);
  });

  it('starts counting again when a probe fails (flapping service)', async () => {
    const statuses = [200, 500, 200, 200, 503, 200, 200, 200];
    let served = 0;
    const { base } = await serve((_request, response) => {
      response.statusCode = statuses[served++] ?? 200;
      response.end(String(response.statusCode));
    });
    const attempt = createTestAttempt({ options: { url: `${base}/`, consecutive: 3, interval: '5ms' } });
    const observation = await runner.run(attempt.ctx);
    expect(attempt.judged.map((o) => o.status)).toEqual(statuses);
    expect(observation.details).toMatchObject({ probes: 8, passesInARow: 3 });
  });

  it('resolves a relative url against the http target baseUrl and sends method, headers and body', async () => {
    let seen = '';
    const { base } = await serve((request, response, body) => {
      seen = `${request.method ?? ''} ${request.url ?? ''} ${String(request.headers['x-drill'])} ${body}`;
      response.statusCode = 201;
      response.end();
    });
    const attempt = createTestAttempt({
      options: { url: '/health?deep=1', method: 'POST', headers: { 'X-Drill': 'yes' }, body: 'ping' },
      target: { name: 'app', kind: 'http', baseUrl: `${base}/api/` },
    });
    const observation = await runner.run(attempt.ctx);
    expect(seen).toBe('POST /api/health?deep=1 yes ping');
    expect(observation.status).toBe(201);
    expect(observation.body).toEqual({ text: '', bytes: 0, truncated: false, sha256: sha256('') });
    expect(observation.details).toMatchObject({ url: `${base}/api/health?deep=1`, method: 'POST' });
  });

  it('captures a large body bounded, with the digest of all of it', async () => {
    const whole = 'x'.repeat(100_000);
    const { base } = await serve((_request, response) => response.end(whole));
    const attempt = createTestAttempt({ options: { url: base }, captureLimitBytes: 10 });
    expect((await runner.run(attempt.ctx)).body).toEqual({ text: 'x'.repeat(10), bytes: 100_000, truncated: true, sha256: sha256(whole) });
  });

  it('reports a redirect as observed instead of following it', async () => {
    const { base } = await serve((_request, response) => {
      response.writeHead(302, { location: 'http://elsewhere.invalid/' });
      response.end();
    });
    const attempt = createTestAttempt({ options: { url: base }, judge: (o) => ({ ok: o.status === 302 }) });
    const observation = await runner.run(attempt.ctx);
    expect(observation.status).toBe(302);
    expect(observation.details).toMatchObject({ location: 'http://elsewhere.invalid/', probes: 1 });
  });

  it('observes connection refused as an error, then passes once the server is up', async () => {
    const port = await freePort();
    const attempt = createTestAttempt({ options: { url: `http://127.0.0.1:${port}/`, interval: '20ms' } });
    const pending = runner.run(attempt.ctx);
    await until(() => attempt.judged.length >= 2);
    await serve((_request, response) => response.end('up'), port);
    const observation = await pending;
    expect(attempt.judged[0]).toEqual({ error: { code: 'ECONNREFUSED', message: `GET http://127.0.0.1:${port}/: connect ECONNREFUSED 127.0.0.1:${port}` } });
    expect(observation.status).toBe(200);
    expect(observation.body?.text).toBe('up');
    expect(observation.details).toMatchObject({ passesInARow: 1 });
  });

  it('gives up on one request after requestTimeout and probes again', async () => {
    const { base } = await serve(() => undefined);
    const attempt = createTestAttempt({ options: { url: base, requestTimeout: '50ms', interval: '10ms' } });
    const pending = runner.run(attempt.ctx);
    await until(() => attempt.judged.length >= 2);
    attempt.controller.abort();
    const observation = await pending;
    expect(attempt.judged[0]).toEqual({ error: { code: 'TIMEOUT', message: `GET ${base}/: no complete answer within 50 ms` } });
    expect(observation.error?.code).toBe('TIMEOUT');
  });

  it('resolves promptly with the last probe when stopped between probes', async () => {
    const { base } = await serve((_request, response) => {
      response.statusCode = 503;
      response.end('down');
    });
    const attempt = createTestAttempt({ options: { url: base, interval: '10s' } });
    const pending = runner.run(attempt.ctx);
    await until(() => attempt.judged.length === 1);
    const abortedAt = performance.now();
    attempt.controller.abort();
    const observation = await pending;
    expect(performance.now() - abortedAt).toBeLessThan(1_000);
    expect(observation.status).toBe(503);
    expect(observation.details).toMatchObject({ probes: 1, passesInARow: 0 });
  });

  it('resolves promptly when stopped during a request that hangs', async () => {
    let arrived = false;
    const { base } = await serve(() => {
      arrived = true;
    });
    const attempt = createTestAttempt({ options: { url: base } });
    const pending = runner.run(attempt.ctx);
    await until(() => arrived);
    const abortedAt = performance.now();
    attempt.controller.abort();
    const observation = await pending;
    expect(performance.now() - abortedAt).toBeLessThan(1_000);
    expect(observation.error).toEqual({ code: 'CANCELLED', message: `GET ${base}/: stopped during the request` });
    expect(observation.details).toMatchObject({ probes: 0 });
  });

  it('reports a relative url without a baseUrl as an error, without probing', async () => {
    const attempt = createTestAttempt({ options: { url: '/health' } });
    expect(await runner.run(attempt.ctx)).toEqual({
      error: { code: 'INVALID_URL', message: 'http: url "/health" is relative but the step names no http target with a baseUrl' },
    });
    expect(attempt.judged).toEqual([]);
  });

  it('credentials in the url fail the attempt at once, with the cause, and are never repeated', async () => {
    let requests = 0;
    const { base } = await serve((_request, response) => {
      requests += 1;
      response.end();
    });
    const url = base.replace('http://', 'http://drill:hunter2-secret@');
    const attempt = createTestAttempt({ options: { url: `${url}/health` } });
    const observation = await runner.run(attempt.ctx);
    expect(observation.error).toEqual({
      code: 'URL_CREDENTIALS',
      message: `http: ${base.replace('http://', 'http://***@')}/health has credentials in it, which are never sent: put a secret in a header instead (e.g. Authorization)`,
    });
    expect(JSON.stringify(observation)).not.toContain('hunter2');
    expect(attempt.judged).toHaveLength(0);
    expect(requests).toBe(0);
  });

  it('a header value with a line break (from a --var) fails the attempt at once, naming the header only', async () => {
    const { base } = await serve((_request, response) => response.end());
    const attempt = createTestAttempt({ options: { url: base, headers: { 'X-Token': 'abc\r\nX-Evil: 1' } } });
    const observation = await runner.run(attempt.ctx);
    expect(observation.error).toEqual({ code: 'INVALID_HEADER', message: 'http: header "X-Token": its value has a line break (CR or LF)' });
    expect(JSON.stringify(observation)).not.toContain('X-Evil');
    expect(attempt.judged).toHaveLength(0);
  });
});
