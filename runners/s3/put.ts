/**
 * `s3.put`: upload one file, streamed through a SHA-256 tap into lib-storage's Upload (one PutObject for
 * a small file, a multipart upload otherwise; about partSizeMiB × concurrency of memory). The object is
 * checked with HEAD afterwards (Upload's ETag is empty on some stores); a digest that differs from the
 * expected one removes the object again.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream';
import { DeleteObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Observation, ParsedAttemptContext, TypedStepRunner } from '../../src/runner-contract.js';
import { openS3Session, type S3Session } from '../shared/s3/client.js';
import type { S3PutOptions } from './definition.js';
import { describeS3Error } from '../shared/s3/errors.js';
import { StepError } from '../shared/step-error.js';
import { HashTap } from './hash-tap.js';
import { jsonObservation } from '../shared/json-report.js';
import { fullKey } from '../shared/s3/target.js';

export const defaultPartSizeMiB = 8;
export const defaultConcurrency = 4;
const readChunkBytes = 1024 * 1024;

/** The `s3.put` runner. */
export function createS3PutRunner(): TypedStepRunner<S3PutOptions> {
  return { run: runPut };
}

async function runPut(ctx: ParsedAttemptContext<S3PutOptions>): Promise<Observation> {
  const { options } = ctx;
  const path = resolve(ctx.baseDir, options.file);
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) return { error: { code: 'S3_NOT_A_FILE', message: `s3.put: ${options.file} is not a regular file` } };
    size = info.size;
  } catch (error) {
    return { error: { code: 'S3_NO_SOURCE', message: `s3.put: cannot read ${options.file} (${(error as NodeJS.ErrnoException).code ?? 'error'})` } };
  }
  let session: S3Session;
  try {
    session = openS3Session(ctx, 's3.put');
  } catch (error) {
    return { error: describeS3Error(error, 's3.put', 'target') };
  }
  const { client, target } = session;
  const key = fullKey(target, options.key);
  const where = `s3://${target.bucket}/${key}`;
  const partSize = (options.partSizeMiB ?? defaultPartSizeMiB) * 1024 * 1024;
  const tap = new HashTap();
  // pipeline: a read error destroys the tap, which fails the upload instead of leaving it waiting.
  const body = pipeline(createReadStream(path, { highWaterMark: readChunkBytes }), tap, () => undefined);
  const upload = new Upload({
    client,
    params: { Bucket: target.bucket, Key: key, Body: body, ...(options.contentType === undefined ? {} : { ContentType: options.contentType }) },
    partSize,
    queueSize: options.concurrency ?? defaultConcurrency,
    leavePartsOnError: false,
  });
  const stop = (): void => void upload.abort().catch(() => undefined);
  ctx.signal.addEventListener('abort', stop, { once: true });
  const startedMs = ctx.clock.now();
  let uploaded = false;
  try {
    if (ctx.signal.aborted) throw new StepError('CANCELLED', `s3.put: ${where} was not started: the step was stopped first`);
    await upload.done();
    uploaded = true;
    const sha256 = tap.digest();
    const head = await client.send(new HeadObjectCommand({ Bucket: target.bucket, Key: key }), { abortSignal: ctx.signal });
    const versionId = head.VersionId ?? 'null';
    if (options.sha256 !== undefined && sha256 !== options.sha256.toLowerCase()) {
      await client.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: key, ...(head.VersionId ? { VersionId: head.VersionId } : {}) }));
      throw new StepError('S3_DIGEST_MISMATCH', `SHA-256 of ${options.file} is ${sha256}, expected ${options.sha256.toLowerCase()}; the uploaded object was removed`);
    }
    if (tap.bytes !== size || head.ContentLength !== tap.bytes) {
      throw new StepError('S3_SIZE_MISMATCH', `${options.file} had ${size} bytes, ${tap.bytes} were read and the store holds ${head.ContentLength ?? '?'}`);
    }
    const durationMs = Math.round(ctx.clock.now() - startedMs);
    const result = {
      bucket: target.bucket,
      key: options.key,
      fullKey: key,
      versionId,
      file: options.file,
      size: tap.bytes,
      sha256,
      etag: head.ETag ?? '',
      multipart: size > partSize,
      durationMs,
      mibPerSecond: durationMs > 0 ? Math.round((tap.bytes / 1_048_576 / (durationMs / 1000)) * 10) / 10 : null,
    };
    // The facts an auditor checks go in the record itself, not only in the step's log.
    const facts = { key, versionId, size: tap.bytes, sha256 };
    return jsonObservation(ctx, result, { ...session.details(), ...facts, partSize, durationMs });
  } catch (error) {
    const doing = uploaded ? `checking ${where}` : `uploading ${options.file} to ${where}`;
    return { error: describeS3Error(error, 's3.put', doing), details: session.details() };
  } finally {
    ctx.signal.removeEventListener('abort', stop);
    body.destroy();
    session.close();
  }
}
