/**
 * For s3.export tests: attempts with attachments and declared targets, seeding helpers, and the fault
 * proxy with rules by key: damage a body in transit (same length, one byte flipped), hold a body
 * half-sent (an export interrupted mid-object), or run a hook before forwarding a request (to change the
 * source while an export runs).
 */
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ExportFacts, ManifestEntry } from '../../../src/exit-readiness/facts.js';
import type { Target } from '../../../src/scenario/types.js';
import { MemorySink, type TestAttempt, type TestAttemptOptions } from '../attempt-context.js';
import { startFaultProxy, type ProxiedRequest } from './fault-proxy.js';
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

export interface TamperRules {
  /** Flip the first byte of the body of a GET for which this holds. */
  corrupt?(key: string): boolean;
  /** Send half the body of a GET for which this holds, then hold the rest until the proxy closes. */
  stall?(key: string): boolean;
  /** Awaited before a request is forwarded; `key` only for object requests on the bucket. */
  before?(method: string, key: string | undefined): Promise<void>;
}

/** A `before` rule: a workload deletes `key` from `bucket` just before the export's GET of it reaches the store. */
export function deleteBeforeRead(client: S3Client, bucket: string, key: string): NonNullable<TamperRules['before']> {
  return async (method, requested) => {
    if (method === 'GET' && requested === key) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  };
}

export interface TamperProxy {
  endpoint: string;
  /** `METHOD key` of every object request on the bucket, in arrival order. */
  readonly seen: readonly string[];
  close(): Promise<void>;
}

/** The fault proxy (fault-proxy.ts) with rules by object key of one bucket, as the export tests write them. */
export async function startTamperProxy(upstream: string, bucket: string, rules: TamperRules): Promise<TamperProxy> {
  const keyOf = (request: ProxiedRequest): string | undefined => (request.bucket === bucket ? request.key : undefined);
  const proxy = await startFaultProxy(upstream, { before: (request) => rules.before?.(request.method, keyOf(request)) ?? Promise.resolve() });
  const on = (request: ProxiedRequest, rule: ((key: string) => boolean) | undefined): boolean => {
    const key = keyOf(request);
    return request.method === 'GET' && key !== undefined && rule?.(key) === true;
  };
  if (rules.corrupt) proxy.inject({ fault: 'flip-byte', at: 0, match: (request) => on(request, rules.corrupt?.bind(rules)) });
  if (rules.stall) proxy.inject({ fault: 'stall', match: (request) => on(request, rules.stall?.bind(rules)) });
  return {
    endpoint: proxy.endpoint,
    get seen() {
      return proxy.log.flatMap((request) => {
        const key = keyOf(request);
        return key === undefined ? [] : [`${request.method} ${key}`];
      });
    },
    close: () => proxy.close(),
  };
}
