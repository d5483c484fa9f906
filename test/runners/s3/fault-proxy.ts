/**
 * A small HTTP proxy in front of radosgw that injects faults, for tests. Requests pass through unchanged
 * (the Host header too, so request signatures stay valid); faults are switched per request by rules:
 *
 * - answered instead of forwarding: `slowdown` (503 SlowDown, what S3 answers when throttling), `reset`
 *   (connection reset), `invalid-object-state` (403 InvalidObjectState: an object in an archive tier);
 * - on the body of a successful GET: `flip-byte` (one byte XORed, same length), `truncate-half` (the first
 *   half, Content-Length rewritten to match), `stall` (the first half, then nothing until the proxy closes);
 * - on the headers of a successful HEAD or GET: `drop-etag`, `alter-etag`, `drop-checksums`,
 *   `alter-checksums`, `glacier` (x-amz-storage-class: GLACIER).
 *
 * radosgw 16 keeps no S3 checksums and ignores `partNumber`; `emulate` makes the proxy answer as S3 does
 * from what it saw pass: `checksums` keeps the x-amz-checksum-* a PutObject or UploadPart carried and
 * returns them (composite for a multipart upload) to a HEAD or GET that asks (x-amz-checksum-mode:
 * ENABLED); `part-number` keeps the part sizes of each completed multipart upload and answers
 * HEAD ?partNumber=N with that part's Content-Length, Content-Range and x-amz-mp-parts-count.
 * Listens on 127.0.0.1 only.
 */
import { createHash } from 'node:crypto';
import { createServer, request as forward, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';

export type AnswerFault = 'slowdown' | 'reset' | 'invalid-object-state';
export type BodyFault = 'flip-byte' | 'truncate-half' | 'stall';
export type HeaderFault = 'drop-etag' | 'alter-etag' | 'drop-checksums' | 'alter-checksums' | 'glacier';
export type Fault = AnswerFault | BodyFault | HeaderFault;

/** One request as the proxy saw it; `body` only for small ones (a canary marker, not a multipart part). */
export interface ProxiedRequest {
  method: string;
  url: string;
  /** Bucket and decoded object key of a path-style request (no key for bucket requests such as listings). */
  bucket?: string;
  key?: string;
  query: URLSearchParams;
  /** A fault was applied to it. */
  faulted: boolean;
  faults: Fault[];
  body?: string;
}

export interface FaultRule {
  fault: Fault;
  /** How many matching requests get it (default: every one). */
  times?: number;
  /** Which requests (default: every request for answers; every object GET for body faults; every object HEAD and GET for header faults). */
  match?(request: ProxiedRequest): boolean;
  /** `flip-byte`: the offset (default: the middle of the body) and the XOR mask (default 0xff). */
  at?: number;
  mask?: number;
}

export type Emulation = 'checksums' | 'part-number';

export interface FaultProxyOptions {
  emulate?: readonly Emulation[];
  /** Awaited before a request is forwarded (to change the store while a runner reads it). */
  before?(request: ProxiedRequest): Promise<void>;
}

export interface FaultProxy {
  endpoint: string;
  /** Requests seen, faulted or not. */
  readonly requests: number;
  /** Every request, in arrival order. */
  readonly log: readonly ProxiedRequest[];
  /** Fault the next `count` requests, whatever they are (a count of Infinity faults them all; 0 stops). Replaces an earlier `fail`. */
  fail(count: number, fault: AnswerFault): void;
  /** Add a rule; rules apply in the order they were added. */
  inject(rule: FaultRule): void;
  /** Remove every rule. */
  clear(): void;
  close(): Promise<void>;
}

const keptBodyBytes = 64 * 1024;
const slowDownBody = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>';
const invalidStateBody =
  '<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidObjectState</Code><Message>The operation is not valid for the object\'s storage class</Message><StorageClass>GLACIER</StorageClass></Error>';
const answerFaults = new Set<Fault>(['slowdown', 'reset', 'invalid-object-state']);
const bodyFaults = new Set<Fault>(['flip-byte', 'truncate-half', 'stall']);
const checksumHeaders = ['x-amz-checksum-crc32', 'x-amz-checksum-crc32c', 'x-amz-checksum-crc64nvme', 'x-amz-checksum-sha1', 'x-amz-checksum-sha256'] as const;

interface LiveRule extends FaultRule {
  left: number;
  fromFail?: boolean;
}

function parse(url: string): Pick<ProxiedRequest, 'bucket' | 'key' | 'query'> {
  const parsed = new URL(url, 'http://proxy');
  const [, bucket, ...rest] = parsed.pathname.split('/');
  const key = rest.length ? decodeURIComponent(rest.join('/')) : '';
  return { ...(bucket ? { bucket } : {}), ...(key !== '' ? { key } : {}), query: parsed.searchParams };
}

function defaultMatch(fault: Fault, request: ProxiedRequest): boolean {
  if (answerFaults.has(fault)) return true;
  if (request.key === undefined) return false;
  return bodyFaults.has(fault) ? request.method === 'GET' : request.method === 'GET' || request.method === 'HEAD';
}

/** An ETag with its last hex digit changed: still looks right, is not. */
function altered(value: string): string {
  return value.replace(/([0-9a-f])(-\d+)?("?)$/i, (_all, digit: string, parts: string | undefined, quote: string) => `${digit === '0' ? '1' : '0'}${parts ?? ''}${quote}`);
}

/** A base64 checksum with its first character changed. */
function alteredChecksum(value: string): string {
  return (value.startsWith('A') ? 'B' : 'A') + value.slice(1);
}

/** Composite checksum S3 gives a multipart upload: the algorithm over the concatenated raw part checksums, then -N. */
function composite(header: string, parts: readonly string[]): string | undefined {
  const raw = Buffer.concat(parts.map((part) => Buffer.from(part, 'base64')));
  let digest: Buffer;
  if (header === 'x-amz-checksum-sha256') digest = createHash('sha256').update(raw).digest();
  else if (header === 'x-amz-checksum-sha1') digest = createHash('sha1').update(raw).digest();
  else if (header === 'x-amz-checksum-crc32') {
    digest = Buffer.alloc(4);
    digest.writeUInt32BE(crc32(raw) >>> 0);
  } else return undefined;
  return `${digest.toString('base64')}-${parts.length}`;
}

export async function startFaultProxy(upstream: string, options: FaultProxyOptions = {}): Promise<FaultProxy> {
  const target = new URL(upstream);
  const emulate = new Set(options.emulate ?? []);
  let rules: LiveRule[] = [];
  let requests = 0;
  const log: ProxiedRequest[] = [];
  // Emulated store state, by "bucket/key" (objects) and upload id (multipart uploads in progress).
  const checksums = new Map<string, Record<string, string>>();
  const layouts = new Map<string, number[]>();
  const uploads = new Map<string, Map<number, { size: number; checksums: Record<string, string> }>>();

  /** The rules that apply to `request`, each used up once. */
  const take = (request: ProxiedRequest, kinds: (fault: Fault) => boolean): LiveRule[] => {
    const applied: LiveRule[] = [];
    for (const rule of rules) {
      if (!kinds(rule.fault) || rule.left <= 0) continue;
      if (!(rule.match ? rule.match(request) : defaultMatch(rule.fault, request))) continue;
      rule.left -= 1;
      applied.push(rule);
      request.faulted = true;
      request.faults.push(rule.fault);
    }
    return applied;
  };

  /** What the emulations learn from a request that succeeded. */
  const learn = (request: ProxiedRequest, headers: IncomingHttpHeaders, status: number): void => {
    if (status >= 300 || request.key === undefined) return;
    const name = `${request.bucket ?? ''}/${request.key}`;
    const uploadId = request.query.get('uploadId');
    const sent = Object.fromEntries(checksumHeaders.flatMap((header) => (typeof headers[header] === 'string' ? [[header, headers[header]]] : [])));
    if (request.method === 'PUT' && uploadId !== null && request.query.has('partNumber')) {
      const size = Number(headers['x-amz-decoded-content-length'] ?? headers['content-length'] ?? 0);
      const parts = uploads.get(uploadId) ?? new Map<number, { size: number; checksums: Record<string, string> }>();
      parts.set(Number(request.query.get('partNumber')), { size, checksums: sent });
      uploads.set(uploadId, parts);
    } else if (request.method === 'PUT' && !request.query.has('partNumber') && headers['x-amz-copy-source'] === undefined) {
      checksums.set(name, sent);
      layouts.delete(name);
    } else if (request.method === 'POST' && uploadId !== null) {
      const parts = uploads.get(uploadId);
      uploads.delete(uploadId);
      if (!parts) return;
      // The parts the completion names, in order (all uploaded ones when its body was not kept).
      const named = [...(request.body ?? '').matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((m) => Number(m[1]));
      const order = (named.length ? named : [...parts.keys()].sort((a, b) => a - b)).map((n) => parts.get(n)).filter((p) => p !== undefined);
      layouts.set(name, order.map((part) => part.size));
      const combined: Record<string, string> = {};
      for (const header of checksumHeaders) {
        const values = order.map((part) => part.checksums[header]);
        if (values.length && values.every((v) => v !== undefined)) {
          const value = composite(header, values);
          if (value !== undefined) combined[header] = value;
        }
      }
      checksums.set(name, combined);
    } else if (request.method === 'DELETE' && uploadId === null) {
      checksums.delete(name);
      layouts.delete(name);
    }
  };

  /** Response headers as the emulated store and the header faults make them. */
  const rewrite = (request: ProxiedRequest, incoming: IncomingMessage, response: IncomingMessage): { status: number; headers: IncomingHttpHeaders } => {
    let status = response.statusCode ?? 502;
    const headers = { ...response.headers };
    const ok = status < 300 && request.key !== undefined && (request.method === 'GET' || request.method === 'HEAD');
    if (!ok) return { status, headers };
    const name = `${request.bucket ?? ''}/${request.key}`;
    const partNumber = request.query.get('partNumber');
    const layout = layouts.get(name);
    if (emulate.has('part-number') && request.method === 'HEAD' && partNumber !== null && layout) {
      const index = Number(partNumber) - 1;
      const size = layout[index];
      if (size !== undefined) {
        const start = layout.slice(0, index).reduce((sum, n) => sum + n, 0);
        const total = layout.reduce((sum, n) => sum + n, 0);
        status = 206;
        headers['content-length'] = String(size);
        headers['content-range'] = `bytes ${start}-${start + size - 1}/${total}`;
        headers['x-amz-mp-parts-count'] = String(layout.length);
      }
    }
    const asked = String(incoming.headers['x-amz-checksum-mode'] ?? '').toUpperCase() === 'ENABLED';
    if (emulate.has('checksums') && asked && partNumber === null && incoming.headers.range === undefined) Object.assign(headers, checksums.get(name) ?? {});
    for (const rule of take(request, (fault) => !answerFaults.has(fault) && !bodyFaults.has(fault))) {
      if (rule.fault === 'drop-etag') delete headers.etag;
      if (rule.fault === 'alter-etag' && typeof headers.etag === 'string') headers.etag = altered(headers.etag);
      if (rule.fault === 'glacier') headers['x-amz-storage-class'] = 'GLACIER';
      for (const header of checksumHeaders) {
        const value = headers[header];
        if (typeof value !== 'string') continue;
        if (rule.fault === 'drop-checksums') delete headers[header];
        if (rule.fault === 'alter-checksums') headers[header] = alteredChecksum(value);
      }
    }
    return { status, headers };
  };

  const pass = (request: ProxiedRequest, incoming: IncomingMessage, outgoing: ServerResponse): void => {
    const upstreamRequest = forward({ host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers }, (response) => {
      learn(request, incoming.headers, response.statusCode ?? 502);
      const { status, headers } = rewrite(request, incoming, response);
      const length = Number(headers['content-length'] ?? 0);
      const body = status < 300 && request.method === 'GET' && request.key !== undefined ? take(request, (fault) => bodyFaults.has(fault)) : [];
      const flip = body.find((rule) => rule.fault === 'flip-byte');
      const cut = body.find((rule) => rule.fault === 'truncate-half' || rule.fault === 'stall');
      const half = Math.floor(length / 2);
      if (cut?.fault === 'truncate-half') headers['content-length'] = String(half);
      outgoing.writeHead(status, headers);
      const flipAt = flip ? (flip.at ?? half) : -1;
      let position = 0;
      response.on('data', (chunk: Buffer) => {
        let out = chunk;
        if (flipAt >= position && flipAt < position + chunk.length) {
          out = Buffer.from(chunk);
          out[flipAt - position] = (out[flipAt - position] ?? 0) ^ (flip?.mask ?? 0xff);
        }
        if (cut) {
          const room = Math.max(0, half - position);
          if (room > 0) outgoing.write(out.subarray(0, room));
        } else outgoing.write(out);
        position += chunk.length;
      });
      // A stalled body never ends: the proxy's close cuts it.
      response.on('end', () => {
        if (cut?.fault !== 'stall') outgoing.end();
      });
    });
    upstreamRequest.on('error', () => outgoing.destroy());
    incoming.pipe(upstreamRequest);
  };

  const handle = (incoming: IncomingMessage, outgoing: ServerResponse): void => {
    requests += 1;
    const url = incoming.url ?? '';
    const request: ProxiedRequest = { method: incoming.method ?? '', url, ...parse(url), faulted: false, faults: [] };
    log.push(request);
    const chunks: Buffer[] = [];
    let size = 0;
    incoming.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= keptBodyBytes) chunks.push(chunk);
    });
    incoming.on('end', () => {
      if (size > 0 && size <= keptBodyBytes) request.body = Buffer.concat(chunks).toString('utf8');
    });
    const [answer] = take(request, (fault) => answerFaults.has(fault));
    if (answer) {
      incoming.resume();
      if (answer.fault === 'reset') {
        incoming.socket.destroy();
        return;
      }
      const text = answer.fault === 'slowdown' ? slowDownBody : invalidStateBody;
      outgoing.writeHead(answer.fault === 'slowdown' ? 503 : 403, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(text) }).end(text);
      return;
    }
    if (!options.before) {
      pass(request, incoming, outgoing);
      return;
    }
    incoming.pause();
    options.before(request).then(
      () => pass(request, incoming, outgoing),
      () => outgoing.destroy(),
    );
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
    fail(count, fault) {
      rules = rules.filter((rule) => !rule.fromFail);
      if (count > 0) rules.unshift({ fault, left: count, fromFail: true });
    },
    inject(rule) {
      rules.push({ ...rule, left: rule.times ?? Infinity });
    },
    clear() {
      rules = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
