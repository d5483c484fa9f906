/** `s3.get`: download one object into a file, streamed and checked (see download.ts). */
import type { Stats } from 'node:fs';
import { resolve } from 'node:path';
import type { Observation, ParsedAttemptContext, TypedStepRunner } from '../../src/runner-contract.js';
import { openS3Session, type S3Session } from '../shared/s3/client.js';
import type { S3GetOptions } from './definition.js';
import { downloadObject } from './download.js';
import { describeS3Error, isNotFound } from '../shared/s3/errors.js';
import { integritySummary } from '../shared/s3/integrity.js';
import { failureDetails } from '../shared/s3/verified-get.js';
import { jsonObservation } from '../shared/json-report.js';
import { fullKey } from '../shared/s3/target.js';
import { prepareDestination } from '../shared/safe-files.js';

/** The `s3.get` runner. */
export function createS3GetRunner(): TypedStepRunner<S3GetOptions> {
  return { run: runGet };
}

async function runGet(ctx: ParsedAttemptContext<S3GetOptions>): Promise<Observation> {
  const { options } = ctx;
  const path = resolve(ctx.baseDir, options.file);
  let existing: Stats | undefined;
  try {
    existing = prepareDestination(path, ctx.baseDir, ctx.protectedPaths);
  } catch (error) {
    return { error: describeS3Error(error, 's3.get', `the folder of ${options.file}`) };
  }
  if (!options.overwrite && existing) {
    return { error: { code: 'S3_FILE_EXISTS', message: `s3.get: ${options.file} already exists (set overwrite: true to replace it)` } };
  }
  let session: S3Session;
  try {
    session = openS3Session(ctx, 's3.get');
  } catch (error) {
    return { error: describeS3Error(error, 's3.get', 'target') };
  }
  const key = fullKey(session.target, options.key);
  const where = `s3://${session.target.bucket}/${key}${options.versionId === undefined ? '' : ` (version ${options.versionId})`}`;
  const startedMs = ctx.clock.now();
  try {
    const got = await downloadObject(session, {
      key,
      versionId: options.versionId,
      path,
      expectedSha256: options.sha256,
      signal: ctx.signal,
      clock: ctx.clock,
    });
    const durationMs = Math.round(ctx.clock.now() - startedMs);
    const result = {
      bucket: session.target.bucket,
      key: options.key,
      fullKey: key,
      versionId: got.versionId,
      file: options.file,
      size: got.bytes,
      sha256: got.sha256,
      etag: got.etag,
      ...(got.lastModified ? { lastModified: got.lastModified } : {}),
      durationMs,
      mibPerSecond: durationMs > 0 ? Math.round((got.bytes / 1_048_576 / (durationMs / 1000)) * 10) / 10 : null,
    };
    // The facts an auditor checks go in the record itself, not only in the step's log.
    const facts = { key, versionId: got.versionId, size: got.bytes, sha256: got.sha256 };
    const integrity = {
      integrity: integritySummary(got.integrity),
      ...(got.integrity.notChecked.length ? { integrityNotChecked: got.integrity.notChecked } : {}),
      integrityRetries: got.retries,
    };
    return jsonObservation(ctx, { ...result, integrity: integrity.integrity }, { ...session.details(), ...facts, ...integrity, resumes: got.resumes, durationMs });
  } catch (error) {
    const failure = isNotFound(error)
      ? { code: 'S3_NOT_FOUND', message: `s3.get: ${where} does not exist` }
      : describeS3Error(error, 's3.get', `downloading ${where}`);
    return { error: failure, details: { ...session.details(), ...failureDetails(error) } };
  } finally {
    session.close();
  }
}
