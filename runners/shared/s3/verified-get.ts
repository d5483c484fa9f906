/**
 * Every download of an object body by the s3 and canary runners: the store's facts are gathered (HEAD:
 * size, ETag, checksums, storage class; HEAD ?partNumber= for the part sizes of a multipart object), the
 * body is read pinned to that version and ETag and checked in the same pass as it is written
 * (integrity.ts), and a body that fails a check is discarded and read once more from scratch. A body cut
 * by a network error resumes with a ranged GET pinned the same way. An object in an archive tier fails
 * with S3_RESTORE_REQUIRED before any body is read.
 */
import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, type GetObjectCommandOutput, type HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import { type AttemptClock, s3TargetDefaults } from '../../../src/runner-contract.js';
import { eachLimited } from '../each-limited.js';
import { StepError } from '../step-error.js';
import type { S3Session } from './client.js';
import { isAbort, isNotFound } from './errors.js';
import { describeMismatches, IntegrityCheck, integritySummary, worthRetrying, type ChecksumName, type IntegrityResult, type Mismatch, type StoreFacts } from './integrity.js';
import { unquoteEtag } from './list-objects.js';
import { errorCode, httpStatusOf } from './retry.js';

/** Where the bytes of one read go. */
export interface BodySink {
  write(chunk: Buffer): Promise<void> | void;
  /** The body failed a check or could not be read whole: nothing of it may stay. */
  discard(): Promise<void>;
}

export interface VerifiedGetRequest<S extends BodySink> {
  /** The bucket key. */
  key: string;
  versionId?: string | undefined;
  /** What a listing said about the object: checked too, and then no HEAD is needed except for part sizes. */
  listed?: { size: number; etag: string } | undefined;
  /** The scenario's own SHA-256 (hex). */
  expectedSha256?: string | undefined;
  signal: AbortSignal;
  clock: AttemptClock;
  /** A new sink for each read, given the GET's answer (content type, metadata …). */
  open(response: GetObjectCommandOutput): Promise<S>;
  /** How a failure says what became of the bytes (default: "nothing of it was kept"). */
  discarded?: string;
}

/** A read discarded and done again: what was wrong with it (or why it was in doubt). */
export interface IntegrityRetry {
  mismatches: Mismatch[];
  reason?: string;
}

export interface VerifiedGet<S extends BodySink> {
  sink: S;
  integrity: IntegrityResult;
  /** Reads discarded and done again. */
  retries: IntegrityRetry[];
  /** Ranged GETs after a cut body. */
  resumes: number;
  /** The ETag the body was read under, quotes removed. */
  etag: string;
  versionId: string | undefined;
  response: GetObjectCommandOutput;
}

/** Storage classes whose objects must be restored (RestoreObject) before a GET can read them. */
const archiveClasses = new Set(['GLACIER', 'DEEP_ARCHIVE']);
const networkCodes = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ERR_STREAM_PREMATURE_CLOSE', 'TimeoutError', 'ECONNABORTED']);
/** HEAD ?partNumber= requests in flight at once when the part sizes are asked for. */
const partHeadLanes = 8;

/** The body's bytes are not the ones the store's facts (or the scenario) describe, on every read. */
export class IntegrityError extends StepError {
  readonly integrity: IntegrityResult;
  readonly retries: IntegrityRetry[];
  constructor(where: string, integrity: IntegrityResult, retries: IntegrityRetry[], discarded = 'nothing of it was kept') {
    const reads = retries.length + 1;
    const [first] = integrity.mismatches;
    const onlyScenario = integrity.mismatches.length === 1 && first?.fact === 'expected-sha256';
    if (onlyScenario) {
      const vouching = integrity.checked.filter((fact) => fact !== 'size' && fact !== 'expected-sha256');
      const store = vouching.length ? ` (the store's ${vouching.join(' and ')} ${vouching.length > 1 ? 'vouch' : 'vouches'} for the bytes: it holds another object than the expected one)` : '';
      super('S3_DIGEST_MISMATCH', `SHA-256 of ${where} is ${first.actual}, expected ${first.expected}${store}; ${discarded}`);
    } else {
      super(
        'S3_INTEGRITY_MISMATCH',
        `${where} failed its integrity check${reads > 1 ? ` on ${reads} reads` : ''} (${integrity.bytes} bytes received): ${describeMismatches(integrity.mismatches)}; ${discarded}`,
      );
    }
    this.integrity = integrity;
    this.retries = retries;
  }
}

/** The object is in an archive tier: it must be restored before it can be read. */
export class RestoreRequiredError extends StepError {
  readonly storageClass: string;
  readonly hint: string;
  constructor(where: string, storageClass: string, inProgress: boolean) {
    const hint = inProgress
      ? 'a restore is under way: run the step again once it has completed'
      : 'restore it first (RestoreObject, e.g. `aws s3api restore-object`) and run the step again once the restore has completed';
    super('S3_RESTORE_REQUIRED', `${where} is in the ${storageClass} storage class: restore required before it can be read; ${hint}`);
    this.storageClass = storageClass;
    this.hint = hint;
  }
}

/** A GET refused with InvalidObjectState (an archived object, not restored) as RestoreRequiredError; else undefined. */
export function restoreRequiredOf(error: unknown, where: string, storageClass?: string): RestoreRequiredError | undefined {
  if (errorCode(error) !== 'InvalidObjectState') return undefined;
  return new RestoreRequiredError(where, (error as { StorageClass?: string }).StorageClass ?? storageClass ?? 'an archive', false);
}

/** `details` for a failure of getVerified: the facts of the failed check, or the restore that is needed. */
export function failureDetails(error: unknown): Record<string, unknown> {
  if (error instanceof IntegrityError) {
    return {
      integrity: integritySummary(error.integrity),
      ...(error.integrity.notChecked.length ? { integrityNotChecked: error.integrity.notChecked } : {}),
      integrityRetries: error.retries,
    };
  }
  if (error instanceof RestoreRequiredError) return { restoreRequired: { storageClass: error.storageClass, hint: error.hint } };
  return {};
}

/** The S3 checksums an answer carries, by name. */
export function checksumsOf(output: GetObjectCommandOutput | HeadObjectCommandOutput): Partial<Record<ChecksumName, string>> {
  const given: Partial<Record<ChecksumName, string | undefined>> = {
    crc32: output.ChecksumCRC32,
    crc32c: output.ChecksumCRC32C,
    crc64nvme: output.ChecksumCRC64NVME,
    sha1: output.ChecksumSHA1,
    sha256: output.ChecksumSHA256,
  };
  const found: Partial<Record<ChecksumName, string>> = {};
  for (const [name, value] of Object.entries(given) as [ChecksumName, string | undefined][]) if (value !== undefined && value !== '') found[name] = value;
  return found;
}

/** With SSE-KMS or SSE-C the ETag is no MD5 of the body, even when it looks like one. */
export function opaqueEtagReason(output: Pick<GetObjectCommandOutput, 'ServerSideEncryption' | 'SSECustomerAlgorithm'>): string | undefined {
  if (typeof output.ServerSideEncryption === 'string' && output.ServerSideEncryption.startsWith('aws:kms')) return `SSE-KMS (${output.ServerSideEncryption})`;
  if (output.SSECustomerAlgorithm !== undefined) return 'SSE-C';
  return undefined;
}

/** The archive tier that keeps `head` from being read, if any: [storage class, restore under way]. */
function archiveTier(head: HeadObjectCommandOutput): [string, boolean] | undefined {
  const restore = head.Restore ?? '';
  // A restored copy is readable until its expiry date.
  if (/ongoing-request="false"/.test(restore)) return undefined;
  const inProgress = /ongoing-request="true"/.test(restore);
  if (head.StorageClass !== undefined && archiveClasses.has(head.StorageClass)) return [head.StorageClass, inProgress];
  if (head.ArchiveStatus !== undefined) return [`${head.StorageClass ?? 'INTELLIGENT_TIERING'} (${head.ArchiveStatus})`, inProgress];
  return undefined;
}

const multipartParts = (etag: string): number | undefined => {
  const match = /-([1-9]\d{0,4})$/.exec(etag);
  return match ? Number(match[1]) : undefined;
};

/**
 * The sizes of the parts of a multipart object, from HEAD ?partNumber= (S3 answers with the part's
 * Content-Length and the part count); undefined when the store does not say (it then answers with the
 * whole object and no part count).
 */
export async function partSizesOf(session: S3Session, key: string, versionId: string | undefined, parts: number, signal: AbortSignal): Promise<number[] | undefined> {
  const head = (part: number, abortSignal: AbortSignal): Promise<HeadObjectCommandOutput> =>
    session.client.send(new HeadObjectCommand({ Bucket: session.target.bucket, Key: key, PartNumber: part, ...(versionId === undefined ? {} : { VersionId: versionId }) }), { abortSignal });
  const first = await head(1, signal);
  if (first.PartsCount !== parts || first.ContentLength === undefined) return undefined;
  const sizes: (number | undefined)[] = [first.ContentLength];
  const rest = Array.from({ length: parts - 1 }, (_, i) => i + 2);
  await eachLimited(rest, partHeadLanes, signal, async (part, laneSignal) => {
    const answer = await head(part, laneSignal);
    sizes[part - 1] = answer.PartsCount === parts ? answer.ContentLength : undefined;
  });
  return sizes.every((size): size is number => size !== undefined) ? sizes : undefined;
}

interface Known {
  size?: number;
  etag?: string;
  versionId?: string;
  head?: HeadObjectCommandOutput;
  partSizes?: number[];
}

async function gatherFacts<S extends BodySink>(session: S3Session, request: VerifiedGetRequest<S>, where: string): Promise<Known> {
  const known: Known = {};
  if (request.versionId !== undefined) known.versionId = request.versionId;
  if (request.listed) {
    known.size = request.listed.size;
    if (request.listed.etag !== '') known.etag = request.listed.etag;
  } else {
    let head: HeadObjectCommandOutput;
    try {
      head = await session.client.send(
        new HeadObjectCommand({ Bucket: session.target.bucket, Key: request.key, ChecksumMode: 'ENABLED', ...(request.versionId === undefined ? {} : { VersionId: request.versionId }) }),
        { abortSignal: request.signal },
      );
    } catch (error) {
      if (isAbort(error, request.signal) || isNotFound(error) || errorCode(error) !== 'Unknown') throw error;
      // A HEAD answer has no body to name its error. A refusal (403 …): the GET's answer will name it.
      const status = httpStatusOf(error);
      if (status === undefined || status < 500) return known;
      const tries = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1;
      throw new StepError(`S3_HTTP_${status}`, `HEAD of ${where} answered HTTP ${status}${status === 503 ? ' (SlowDown or ServiceUnavailable)' : ''} on ${tries} ${tries === 1 ? 'try' : 'tries'}`, { cause: error });
    }
    const tier = archiveTier(head);
    if (tier) throw new RestoreRequiredError(where, tier[0], tier[1]);
    known.head = head;
    if (head.ContentLength !== undefined) known.size = head.ContentLength;
    const etag = unquoteEtag(head.ETag);
    if (etag !== '') known.etag = etag;
    // Pinned: the GET must read the version HEAD described, not one written since.
    if (head.VersionId !== undefined && head.VersionId !== 'null') known.versionId = head.VersionId;
  }
  const parts = known.etag === undefined ? undefined : multipartParts(known.etag);
  if (parts !== undefined && parts > 1) {
    const sizes = await partSizesOf(session, request.key, known.versionId, parts, request.signal);
    if (sizes) known.partSizes = sizes;
  }
  return known;
}

/** A GET whose checksum headers are asked for but judged here, not by the SDK (which checks one, and stops the stream on a mismatch). */
export function getCommand(input: ConstructorParameters<typeof GetObjectCommand>[0]): GetObjectCommand {
  const command = new GetObjectCommand({ ...input, ChecksumMode: 'ENABLED' });
  // Runs after the request (and its x-amz-checksum-mode header) is serialised, before the response is read.
  command.middlewareStack.add((next) => (args) => next({ ...args, input: { ...args.input, ChecksumMode: undefined } }), {
    step: 'build',
    name: 'drillbookJudgesChecksums',
  });
  return command;
}

interface ReadOnce<S extends BodySink> {
  sink: S;
  integrity: IntegrityResult;
  resumes: number;
  etag: string;
  versionId: string | undefined;
  response: GetObjectCommandOutput;
}

async function readOnce<S extends BodySink>(session: S3Session, request: VerifiedGetRequest<S>, known: Known, where: string): Promise<ReadOnce<S>> {
  const { client, target } = session;
  const base = { Bucket: target.bucket, Key: request.key, ...(known.versionId === undefined ? {} : { VersionId: known.versionId }) };
  let response: GetObjectCommandOutput;
  try {
    response = await client.send(getCommand({ ...base, ...(known.etag === undefined ? {} : { IfMatch: `"${known.etag}"` }) }), { abortSignal: request.signal });
  } catch (error) {
    const restore = restoreRequiredOf(error, where, known.head?.StorageClass);
    if (restore) throw restore;
    if (httpStatusOf(error) === 412) throw new StepError('S3_OBJECT_CHANGED', `${where} changed while it was read (its ETag is no longer ${known.etag ?? '?'})`, { cause: error });
    throw error;
  }
  const etag = unquoteEtag(response.ETag) || (known.etag ?? '');
  const versionId = response.VersionId ?? known.versionId;
  const checksums = { ...(known.head ? checksumsOf(known.head) : {}), ...checksumsOf(response) };
  const facts: StoreFacts = {
    size: known.size,
    contentLength: response.ContentLength,
    etag,
    etagOpaque: opaqueEtagReason(response) ?? (known.head ? opaqueEtagReason(known.head) : undefined),
    checksums,
    partSizes: known.partSizes,
    expectedSha256: request.expectedSha256,
  };
  const check = new IntegrityCheck(facts);
  let sink: S;
  try {
    sink = await request.open(response);
  } catch (error) {
    // No sink, no reader: the body must not hold its connection.
    (response.Body as Readable | undefined)?.destroy();
    throw error;
  }
  let kept = false;
  let resumes = 0;
  const maxAttempts = target.options.maxAttempts ?? s3TargetDefaults.maxAttempts;
  try {
    let current = response;
    for (;;) {
      const body = current.Body as Readable | undefined;
      if (!body) throw new StepError('S3_NO_BODY', `GetObject returned no body for ${where}`);
      try {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          check.update(chunk);
          await sink.write(chunk);
        }
        break;
      } catch (error) {
        body.destroy();
        if (isAbort(error, request.signal) || !networkCodes.has(errorCode(error)) || resumes + 1 >= maxAttempts || etag === '') throw error;
        resumes += 1;
        const delayMs = Math.min(s3TargetDefaults.retryMaxDelayMs, s3TargetDefaults.retryBaseDelayMs * 2 ** (resumes - 1));
        session.retries.push({ attempt: resumes, errorType: 'TRANSIENT', code: errorCode(error), delayMs });
        await request.clock.sleep(delayMs, request.signal);
        // The rest of the same bytes: same version, same ETag, from where the body was cut.
        current = await client.send(new GetObjectCommand({ ...base, ...(versionId === undefined ? {} : { VersionId: versionId }), Range: `bytes=${check.bytes}-`, IfMatch: `"${etag}"` }), {
          abortSignal: request.signal,
        });
      }
    }
    kept = true;
    return { sink, integrity: check.finish(), resumes, etag, versionId, response };
  } finally {
    if (!kept) await sink.discard();
  }
}

/**
 * Read `request.key` into the sinks `request.open` gives, checked against every fact the store offers.
 * A read whose bytes fail a check is discarded (`sink.discard()`) and done once more from scratch; when
 * that fails too, IntegrityError carries the facts. The sink of the returned read holds verified bytes.
 */
export async function getVerified<S extends BodySink>(session: S3Session, request: VerifiedGetRequest<S>): Promise<VerifiedGet<S>> {
  const where = `s3://${session.target.bucket}/${request.key}${request.versionId === undefined ? '' : ` (version ${request.versionId})`}`;
  const retries: IntegrityRetry[] = [];
  let resumes = 0;
  // A first read kept while a second one decides (see IntegrityResult.doubt).
  let held: ReadOnce<S> | undefined;
  try {
    for (;;) {
      const known = await gatherFacts(session, request, where);
      const read = await readOnce(session, request, known, where);
      resumes += read.resumes;
      const { integrity } = read;
      if (integrity.mismatches.length === 0 && integrity.doubt !== undefined && held === undefined && retries.length === 0) {
        held = read;
        retries.push({ mismatches: [], reason: `${integrity.doubt}: read again to compare` });
        continue;
      }
      if (integrity.mismatches.length === 0) {
        if (held && integrity.doubt !== undefined) {
          if (held.integrity.sha256 !== integrity.sha256) {
            await read.sink.discard();
            const mismatch: Mismatch = { fact: 'multipart-etag', expected: read.etag, actual: `no usual part size gives it, and two reads gave different bytes (SHA-256 ${held.integrity.sha256}, then ${integrity.sha256})` };
            throw new IntegrityError(where, { ...integrity, checked: [...integrity.checked, 'multipart-etag'], mismatches: [mismatch] }, retries, request.discarded);
          }
          const notChecked = integrity.notChecked.map((n) => (n.fact === 'multipart-etag' ? { ...n, reason: `${n.reason}; two reads gave the same bytes` } : n));
          return { ...read, integrity: { ...integrity, notChecked }, retries, resumes };
        }
        return { ...read, retries, resumes };
      }
      await read.sink.discard();
      if (retries.length >= 1 || !worthRetrying(integrity)) throw new IntegrityError(where, integrity, retries, request.discarded);
      retries.push({ mismatches: integrity.mismatches });
    }
  } finally {
    await held?.sink.discard();
  }
}
