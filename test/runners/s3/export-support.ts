/**
 * For s3.export tests: attempts with attachments and declared targets, seeding helpers, and a tampering
 * proxy in front of radosgw that can damage a body in transit (same length, one byte flipped), hold a
 * body half-sent (an export interrupted mid-object), or run a hook before forwarding a request (to change
 * the source while an export runs). Listens on 127.0.0.1 only; the Host header passes unchanged, so
 * request signatures stay valid.
 */
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { createServer, request as forward, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ExportFacts, ManifestEntry } from '../../../src/exit/facts.js';
import type { Target } from '../../../src/scenario/types.js';
import { MemorySink, type TestAttempt, type TestAttemptOptions } from '../attempt-context.js';
import { s3Attempt } from './support.js';

export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

export interface ExportAttempt extends TestAttempt {
  /** Attachments the runner wrote, by name. */
  attached: Map<string, MemorySink>;
}

/** An attempt of step `stepId` on `target`, with `ctx.attach` and `ctx.resolveTarget` (from `targets`). */
export function exportAttempt(target: Target, secrets: Record<string, string>, overrides: TestAttemptOptions & { stepId?: string; targets?: Target[] } = {}): ExportAttempt {
  const { stepId, targets, ...rest } = overrides;
  const attempt = s3Attempt(target, secrets, rest);
  const attached = new Map<string, MemorySink>();
  attempt.ctx.stepId = stepId ?? 'export';
  attempt.ctx.attach = (name) => {
    if (attached.has(name)) throw new Error(`attachment ${name} opened twice`);
    const sink = new MemorySink();
    attached.set(name, sink);
    return sink;
  };
  attempt.ctx.resolveTarget = (name) => targets?.find((t) => t.name === name);
  return { ...attempt, attached };
}

export function attachedText(attempt: ExportAttempt, name: string): string {
  const sink = attempt.attached.get(name);
  if (!sink) throw new Error(`no attachment ${name}`);
  return sink.bytes().toString('utf8');
}

export function manifestOf(text: string): ManifestEntry[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ManifestEntry);
}

export function factsOf(details: Record<string, unknown> | undefined): ExportFacts {
  const facts = details?.['exit'] as ExportFacts | undefined;
  if (!facts) throw new Error('no exit facts in the details');
  return facts;
}

/** Put every `key: body` into `bucket`. */
export async function seed(client: S3Client, bucket: string, objects: Record<string, string | Buffer>, extra: { ContentType?: string; Metadata?: Record<string, string> } = {}): Promise<void> {
  await Promise.all(Object.entries(objects).map(([Key, Body]) => client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Buffer.from(Body), ...extra }))));
}

/** Every file under `dir`, relative to it, sorted. */
export function filesUnder(dir: string): string[] {
  const found: string[] = [];
  const walk = (at: string): void => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else found.push(relative(dir, path));
    }
  };
  walk(dir);
  return found.sort();
}

/** Decoded object key of a path-style request on `bucket` (undefined for bucket-level requests such as listings). */
export function objectKeyOf(url: string, bucket: string): string | undefined {
  const path = new URL(url, 'http://proxy').pathname;
  const prefix = `/${bucket}/`;
  if (!path.startsWith(prefix) || path.length === prefix.length) return undefined;
  return decodeURIComponent(path.slice(prefix.length));
}

export interface TamperRules {
  /** Flip the first byte of the body of a GET for which this holds. */
  corrupt?(key: string): boolean;
  /** Send half the body of a GET for which this holds, then hold the rest until the proxy closes. */
  stall?(key: string): boolean;
  /** Awaited before a request is forwarded. */
  before?(method: string, key: string | undefined): Promise<void>;
}

export interface TamperProxy {
  endpoint: string;
  /** `METHOD key` of every object request, in arrival order. */
  readonly seen: readonly string[];
  close(): Promise<void>;
}

export async function startTamperProxy(upstream: string, bucket: string, rules: TamperRules): Promise<TamperProxy> {
  const target = new URL(upstream);
  const seen: string[] = [];
  const pass = (incoming: IncomingMessage, outgoing: ServerResponse, key: string | undefined): void => {
    const method = incoming.method ?? '';
    const upstreamRequest = forward({ host: target.hostname, port: target.port, method, path: incoming.url, headers: incoming.headers }, (response) => {
      const tamper = method === 'GET' && key !== undefined && (response.statusCode ?? 0) < 300;
      outgoing.writeHead(response.statusCode ?? 502, response.headers);
      if (tamper && rules.stall?.(key)) {
        const length = Number(response.headers['content-length'] ?? 0);
        let sent = 0;
        response.on('data', (chunk: Buffer) => {
          const room = Math.max(0, Math.floor(length / 2) - sent);
          if (room > 0) outgoing.write(chunk.subarray(0, room));
          sent += Math.min(room, chunk.length);
        });
        return;
      }
      let first = tamper && rules.corrupt?.(key) === true;
      response.on('data', (chunk: Buffer) => {
        if (first && chunk.length > 0) {
          const damaged = Buffer.from(chunk);
          damaged[0] = (damaged[0] ?? 0) ^ 0xff;
          outgoing.write(damaged);
          first = false;
          return;
        }
        outgoing.write(chunk);
      });
      response.on('end', () => outgoing.end());
    });
    upstreamRequest.on('error', () => outgoing.destroy());
    incoming.pipe(upstreamRequest);
  };
  const server = createServer((incoming, outgoing) => {
    const key = objectKeyOf(incoming.url ?? '/', bucket);
    if (key !== undefined) seen.push(`${incoming.method ?? ''} ${key}`);
    incoming.pause();
    const hook = rules.before?.(incoming.method ?? '', key) ?? Promise.resolve();
    hook.then(
      () => pass(incoming, outgoing, key),
      () => outgoing.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
