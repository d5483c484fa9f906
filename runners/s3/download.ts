/**
 * Stream one object into a file, checked against every fact the store offers (verified-get.ts) in the
 * same pass as it is written: under a temporary name beside the destination (created exclusively, 0600),
 * synced and renamed into place only once every check passed. A read that fails a check is deleted and
 * done once more from a new temporary file.
 */
import { randomBytes } from 'node:crypto';
import { rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { AttemptClock } from '../../src/runner-contract.js';
import type { S3Session } from '../shared/s3/client.js';
import type { IntegrityResult } from '../shared/s3/integrity.js';
import { getVerified, type BodySink, type IntegrityRetry } from '../shared/s3/verified-get.js';
import { createNewFile } from '../shared/safe-files.js';

export interface DownloadRequest {
  key: string;
  versionId?: string | undefined;
  /** Absolute destination path, in a folder checked by makeSafeFolder. */
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
  integrity: IntegrityResult;
  /** Reads discarded after a failed check, with what was wrong. */
  retries: IntegrityRetry[];
}

interface FileSink extends BodySink {
  readonly temp: string;
  readonly file: FileHandle;
}

/** A new temporary file beside `path` (in a folder already checked); `discard()` closes and removes it. */
async function openTemp(path: string): Promise<FileSink> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.partial`);
  // 0600: a restored backup is as sensitive as the data it holds; never an existing file or link.
  const file = await createNewFile(temp);
  return {
    temp,
    file,
    async write(chunk) {
      await file.write(chunk);
    },
    async discard() {
      await file.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
    },
  };
}

/** Download `request.key` to `request.path`; on any failure no file appears and the temporary ones are removed. */
export async function downloadObject(session: S3Session, request: DownloadRequest): Promise<Downloaded> {
  const got = await getVerified(session, {
    key: request.key,
    versionId: request.versionId,
    expectedSha256: request.expectedSha256,
    signal: request.signal,
    clock: request.clock,
    open: () => openTemp(request.path),
    discarded: 'no file was written',
  });
  try {
    await got.sink.file.sync();
    await got.sink.file.close();
    await rename(got.sink.temp, request.path);
  } catch (error) {
    await got.sink.discard();
    throw error;
  }
  const lastModified = got.response.LastModified;
  return {
    bytes: got.integrity.bytes,
    sha256: got.integrity.sha256,
    // As the store writes it (quoted), like s3.latest prints it.
    etag: got.response.ETag ?? (got.etag === '' ? '' : `"${got.etag}"`),
    versionId: got.versionId ?? 'null',
    ...(lastModified ? { lastModified: lastModified.toISOString() } : {}),
    resumes: got.resumes,
    integrity: got.integrity,
    retries: got.retries,
  };
}
