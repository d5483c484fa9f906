/**
 * Stream one object into a file: SHA-256 on the fly, written under a temporary name beside the
 * destination, renamed into place only once size and digest are known to be right. A body cut by a
 * network error resumes with a ranged GET pinned to the same version and ETag.
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { GetObjectCommand, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import type { AttemptClock } from '../../src/runner-contract.js';
import type { S3Session } from '../shared/s3/client.js';
import { isAbort } from '../shared/s3/errors.js';
import { StepError } from '../shared/step-error.js';
import { errorCode } from '../shared/s3/retry.js';
import { s3TargetDefaults } from '../../src/scenario/targets/s3.js';

export interface DownloadRequest {
  key: string;
  versionId?: string | undefined;
  /** Absolute destination path. */
  path: string;
  expectedSha256?: string | undefined;
  signal: AbortSignal;
  clock: AttemptClock;
}

export interface Downloaded {
  bytes: number;
  sha256: string;
  etag: string;
  versionId: string;
  lastModified?: string;
  resumes: number;
}

const networkCodes = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ERR_STREAM_PREMATURE_CLOSE', 'TimeoutError', 'ECONNABORTED']);

/** Download `request.key` to `request.path`; on any failure no file appears and the temporary one is removed. */
export async function downloadObject(session: S3Session, request: DownloadRequest): Promise<Downloaded> {
  const { client, target } = session;
  const temp = join(dirname(request.path), `.${basename(request.path)}.${randomBytes(4).toString('hex')}.partial`);
  // 0600: a restored backup is as sensitive as the data it holds.
  const file = await open(temp, 'wx', 0o600);
  let renamed = false;
  try {
    const hash = createHash('sha256');
    let bytes = 0;
    let total: number | undefined;
    let etag = '';
    let versionId = request.versionId;
    let lastModified: Date | undefined;
    let resumes = 0;
    const maxAttempts = target.options.maxAttempts ?? s3TargetDefaults.maxAttempts;
    for (;;) {
      const resuming = bytes > 0;
      const response: GetObjectCommandOutput = await client.send(
        new GetObjectCommand({
          Bucket: target.bucket,
          Key: request.key,
          ...(versionId === undefined ? {} : { VersionId: versionId }),
          ...(resuming ? { Range: `bytes=${bytes}-`, IfMatch: etag } : {}),
        }),
        { abortSignal: request.signal },
      );
      if (!resuming) {
        total = response.ContentLength;
        etag = response.ETag ?? '';
        versionId = response.VersionId ?? versionId;
        lastModified = response.LastModified;
      }
      const body = response.Body as Readable | undefined;
      if (!body) throw new StepError('S3_NO_BODY', `GetObject returned no body for ${request.key}`);
      try {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          hash.update(chunk);
          await file.write(chunk);
          bytes += chunk.length;
        }
        break;
      } catch (error) {
        body.destroy();
        if (isAbort(error, request.signal) || !networkCodes.has(errorCode(error)) || resumes + 1 >= maxAttempts) throw error;
        resumes += 1;
        const delayMs = Math.min(s3TargetDefaults.retryMaxDelayMs, s3TargetDefaults.retryBaseDelayMs * 2 ** (resumes - 1));
        session.retries.push({ attempt: resumes, errorType: 'TRANSIENT', code: errorCode(error), delayMs });
        await request.clock.sleep(delayMs, request.signal);
      }
    }
    if (total !== undefined && bytes !== total) {
      throw new StepError('S3_SIZE_MISMATCH', `received ${bytes} bytes of ${request.key}, the store announced ${total}`);
    }
    const sha256 = hash.digest('hex');
    if (request.expectedSha256 !== undefined && sha256 !== request.expectedSha256.toLowerCase()) {
      throw new StepError('S3_DIGEST_MISMATCH', `SHA-256 of ${request.key} is ${sha256}, expected ${request.expectedSha256.toLowerCase()}; no file was written`);
    }
    await file.sync();
    await file.close();
    await rename(temp, request.path);
    renamed = true;
    return {
      bytes,
      sha256,
      etag,
      versionId: versionId ?? 'null',
      ...(lastModified ? { lastModified: lastModified.toISOString() } : {}),
      resumes,
    };
  } finally {
    if (!renamed) {
      await file.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
    }
  }
}
