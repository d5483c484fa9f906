/**
 * One object of an export: GET it, stream it through the tap (count, head, and the integrity check every
 * download passes: size, MD5 or multipart ETag, S3 checksums) into the destination, and keep the copy only
 * when the bytes are right. A body that fails a check is discarded and read once more; a body cut by a
 * network error is read again whole.
 */
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { type AttemptClock, s3TargetDefaults } from '../../src/runner-contract.js';
import { classifyFormat } from '../shared/formats/formats.js';
import type { S3Session } from '../shared/s3/client.js';
import { describeS3Error, isAbort, isNotFound } from '../shared/s3/errors.js';
import { errorCode } from '../shared/s3/retry.js';
import { StepError } from '../shared/step-error.js';
import { describeMismatches, IntegrityCheck, integritySummary, worthRetrying, type IntegrityResult, type IntegritySummary } from '../shared/s3/integrity.js';
import { unquoteEtag } from '../shared/s3/list-objects.js';
import { checksumsOf, getCommand, opaqueEtagReason, partSizesOf, restoreRequiredOf, type IntegrityRetry } from '../shared/s3/verified-get.js';
import type { SourceObject } from './export-list.js';
import { labelOf, type ExportEntry } from './export-manifest.js';
import { stoppingWriteCode } from './export-space.js';
import { ExportTap } from './export-tap.js';

/** What the source said about a body, kept with its copy. */
export interface BodyInfo {
  contentType?: string;
  metadata: Record<string, string>;
  /** Headers an S3 destination keeps as they were. */
  headers: Pick<GetObjectCommandOutput, 'CacheControl' | 'ContentDisposition' | 'ContentEncoding' | 'ContentLanguage'>;
}

/** Where a kept copy is. */
export type Stored = Pick<ExportEntry, 'file' | 'destinationKey' | 'destinationVersionId'>;

/** One copy being written. */
export interface OpenCopy {
  /** The body goes in here. */
  sink: Writable;
  /** The body was right: make the copy final. */
  keep(sha256: string): Promise<Stored>;
  /** The body was wrong or cut short: nothing of it stays. */
  discard(): Promise<void>;
}

/** A destination of an export: a local folder or an s3 target. */
export interface ExportStore {
  /** How reports name it. */
  readonly address: string;
  /** The local file keeping the manifest between attempts. */
  readonly manifestPath: string;
  /** Why `key` cannot be stored here, when it cannot. */
  refuse(key: string): string | undefined;
  open(object: SourceObject, body: BodyInfo, signal: AbortSignal): Promise<OpenCopy>;
  /** Whether the copy an earlier manifest entry names is still there. */
  holds(entry: ExportEntry, signal: AbortSignal): Promise<boolean>;
  /** Read a copy back: undefined when it matches its entry, else what is wrong. */
  check(entry: ExportEntry, signal: AbortSignal): Promise<string | undefined>;
}

/** What the copy's read was checked against, for the record. */
export interface CopyIntegrity {
  integrity: IntegritySummary;
  integrityRetries: IntegrityRetry[];
}

export type CopyOutcome =
  | ({ kind: 'copied'; entry: ExportEntry } & CopyIntegrity)
  | ({ kind: 'corrupted'; object: SourceObject; reason: string } & CopyIntegrity)
  | { kind: 'failed'; object: SourceObject; code: string; message: string }
  /** Listed at the start, gone before it could be read: the end listing agrees, so it is no gap. */
  | { kind: 'vanished'; object: SourceObject };

export interface CopyEnv {
  source: S3Session;
  store: ExportStore;
  signal: AbortSignal;
  clock: AttemptClock;
  versions: boolean;
  /** Bytes read from the source, every try included. */
  read: { bytes: number };
}

const networkCodes = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ERR_STREAM_PREMATURE_CLOSE', 'TimeoutError', 'ECONNABORTED']);

/** One read of the body: copied, or what its check found wrong. */
type ReadOutcome = { kind: 'copied'; entry: ExportEntry; integrity: IntegrityResult } | { kind: 'corrupted'; integrity: IntegrityResult };

/** Copy `object`; throws only when the step is stopped or the destination cannot be written (see export-space.ts). */
export async function copyObject(env: CopyEnv, object: SourceObject): Promise<CopyOutcome> {
  const refusal = env.store.refuse(object.key);
  if (refusal !== undefined) return { kind: 'failed', object, code: 'S3_KEY_TOO_LONG', message: refusal };
  const maxAttempts = env.source.target.options.maxAttempts ?? s3TargetDefaults.maxAttempts;
  const integrityRetries: IntegrityRetry[] = [];
  for (let tries = 1; ; tries += 1) {
    let read: ReadOutcome;
    try {
      read = await copyOnce(env, object);
    } catch (error) {
      if (isAbort(error, env.signal) || stoppingWriteCode(error) !== undefined) throw error;
      if (isNotFound(error)) return { kind: 'vanished', object };
      const code = errorCode(error);
      if (!networkCodes.has(code) || tries >= maxAttempts) {
        const failure = describeS3Error(error, 's3.export', `copying ${labelOf(object, env.versions)}`);
        return { kind: 'failed', object, ...failure };
      }
      // The SDK retries requests; a body cut mid-stream is ours to read again.
      const delayMs = Math.min(s3TargetDefaults.retryMaxDelayMs, s3TargetDefaults.retryBaseDelayMs * 2 ** (tries - 1));
      env.source.retries.push({ attempt: tries, errorType: 'TRANSIENT', code, delayMs });
      await env.clock.sleep(delayMs, env.signal);
      continue;
    }
    const integrity = integritySummary(read.integrity);
    if (read.kind === 'copied') return { kind: 'copied', entry: read.entry, integrity, integrityRetries };
    // Damaged on the way (or by the source): read once more from scratch before calling it corrupted.
    if (integrityRetries.length === 0 && worthRetrying(read.integrity)) {
      integrityRetries.push({ mismatches: read.integrity.mismatches });
      continue;
    }
    const reads = integrityRetries.length + 1;
    return { kind: 'corrupted', object, reason: `${describeMismatches(read.integrity.mismatches)}${reads > 1 ? ` (on ${reads} reads)` : ''}`, integrity, integrityRetries };
  }
}

function bodyInfo(response: GetObjectCommandOutput): BodyInfo {
  const { CacheControl, ContentDisposition, ContentEncoding, ContentLanguage } = response;
  return {
    ...(response.ContentType === undefined ? {} : { contentType: response.ContentType }),
    metadata: response.Metadata ?? {},
    headers: {
      ...(CacheControl === undefined ? {} : { CacheControl }),
      ...(ContentDisposition === undefined ? {} : { ContentDisposition }),
      ...(ContentEncoding === undefined ? {} : { ContentEncoding }),
      ...(ContentLanguage === undefined ? {} : { ContentLanguage }),
    },
  };
}

async function copyOnce(env: CopyEnv, object: SourceObject): Promise<ReadOutcome> {
  const { client, target } = env.source;
  const version = env.versions && object.versionId !== undefined ? { VersionId: object.versionId } : {};
  const parts = /-([1-9]\d{0,4})$/.exec(object.etag);
  // Asked before the GET, for the object the listing showed; of no use if the GET finds another one.
  const partSizes = parts ? await partSizesOf(env.source, object.fullKey, version.VersionId, Number(parts[1]), env.signal) : undefined;
  // An archived object is refused without a body (no egress): a GET asks as cheaply as a HEAD would, and a
  // listing's storage class cannot tell an archived object from a restored, readable copy.
  const response = await client.send(getCommand({ Bucket: target.bucket, Key: object.fullKey, ...version }), { abortSignal: env.signal }).catch((error: unknown) => {
    throw restoreRequiredOf(error, `s3://${target.bucket}/${labelOf({ key: object.fullKey, versionId: object.versionId }, env.versions)}`) ?? error;
  });
  const body = response.Body as Readable | undefined;
  if (!body) throw new StepError('S3_NO_BODY', `GetObject returned no body for ${object.key}`);
  // The bytes are those of the object as it is now, which may have changed since the listing.
  const etag = unquoteEtag(response.ETag) || object.etag;
  const unchanged = etag === object.etag;
  const check = new IntegrityCheck({
    ...(unchanged ? { size: object.size, partSizes } : {}),
    contentLength: response.ContentLength,
    etag,
    etagOpaque: opaqueEtagReason(response),
    checksums: checksumsOf(response),
  });
  const tap = new ExportTap(check);
  const info = bodyInfo(response);
  let copy: OpenCopy | undefined;
  let kept = false;
  try {
    copy = await env.store.open(object, info, env.signal);
    await pipeline(body, tap, copy.sink, { signal: env.signal });
    const integrity = check.finish();
    if (integrity.mismatches.length > 0) return { kind: 'corrupted', integrity };
    const bytes = integrity.bytes;
    const format = await classifyFormat(tap.head(), object.key);
    const stored = await copy.keep(integrity.sha256);
    kept = true;
    const versionId = env.versions ? object.versionId : response.VersionId;
    const entry: ExportEntry = {
      key: object.key,
      size: bytes,
      etag,
      sha256: integrity.sha256,
      lastModified: unchanged ? object.lastModified : (response.LastModified?.toISOString() ?? object.lastModified),
      ...(versionId === undefined ? {} : { versionId }),
      ...(env.versions && object.isLatest !== undefined ? { isLatest: object.isLatest } : {}),
      ...(info.contentType === undefined ? {} : { contentType: info.contentType }),
      metadata: info.metadata,
      format,
      ...stored,
    };
    return { kind: 'copied', entry, integrity };
  } finally {
    env.read.bytes += tap.bytes;
    if (!kept) {
      body.destroy();
      await copy?.discard();
    }
  }
}
