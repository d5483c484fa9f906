/**
 * `s3.verify`: backup hygiene an auditor asks about, each check recorded with what was expected and what
 * was found: the object exists (or not), its size, its SHA-256 (read in full, streamed), the bucket's
 * versioning, Object Lock retention (mode, days left) and legal hold. Any failed check fails the step.
 */
import {
  GetBucketVersioningCommand,
  GetObjectLegalHoldCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
} from '@aws-sdk/client-s3';
import type { AttemptContext, Observation, ParsedAttemptContext, TypedStepRunner } from '../../src/runner-contract.js';
import { openS3Session, type S3Session } from '../shared/s3/client.js';
import type { S3VerifyOptions } from './definition.js';
import { describeS3Error, isNotFound } from '../shared/s3/errors.js';
import { jsonObservation } from '../shared/json-report.js';
import { errorCode } from '../shared/s3/retry.js';
import { fullKey } from '../shared/s3/target.js';
import { describeMismatches, integritySummary, type IntegrityResult, type IntegritySummary } from '../shared/s3/integrity.js';
import { unquoteEtag } from '../shared/s3/list-objects.js';
import { getVerified, IntegrityError, type BodySink, type IntegrityRetry } from '../shared/s3/verified-get.js';

/** One check: what was asked, what was found. */
export interface Check {
  check: string;
  ok: boolean;
  expected: unknown;
  actual: unknown;
}

const dayMs = 86_400_000;
// Stores answer "no Object Lock here" with either name.
const noLockCodes = new Set(['ObjectLockConfigurationNotFoundError', 'NoSuchObjectLockConfiguration', 'InvalidRequest']);

/** The `s3.verify` runner. */
export function createS3VerifyRunner(): TypedStepRunner<S3VerifyOptions> {
  return { run: runVerify };
}

interface Context {
  ctx: AttemptContext;
  session: S3Session;
  key?: string;
  versionId?: string;
  /** What the `sha256` read was checked against, when there was one. */
  integrity?: IntegritySummary;
  integrityRetries?: IntegrityRetry[];
}

/** The `sha256` read only hashes: nothing is kept. */
const hashOnly: BodySink = { write: () => undefined, discard: () => Promise.resolve() };

function abort(c: Context): { abortSignal: AbortSignal } {
  return { abortSignal: c.ctx.signal };
}

/** `undefined` when the store says there is no Object Lock configuration or record. */
async function unlessNoLock<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (error) {
    if (noLockCodes.has(errorCode(error)) || isNotFound(error)) return undefined;
    throw error;
  }
}

function retentionChecks(checks: Check[], options: NonNullable<S3VerifyOptions['objectLock']>, mode: string | undefined, remainingDays: number | undefined, what: string): void {
  checks.push({ check: `${what} present`, ok: mode !== undefined, expected: 'a retention', actual: mode === undefined ? 'none' : `${mode}` });
  if (options.mode !== undefined) checks.push({ check: `${what} mode`, ok: mode === options.mode, expected: options.mode, actual: mode ?? 'none' });
  if (options.minRetentionDays !== undefined) {
    checks.push({
      check: `${what} days`,
      ok: remainingDays !== undefined && remainingDays >= options.minRetentionDays,
      expected: `>= ${options.minRetentionDays}`,
      actual: remainingDays ?? 'none',
    });
  }
}

async function bucketChecks(c: Context, options: S3VerifyOptions, checks: Check[], result: Record<string, unknown>): Promise<void> {
  const bucket = c.session.target.bucket;
  if (options.versioning) {
    const versioning = await c.session.client.send(new GetBucketVersioningCommand({ Bucket: bucket }), abort(c));
    const status = versioning.Status ?? 'never enabled';
    result['versioning'] = status;
    checks.push({ check: 'versioning', ok: status === 'Enabled', expected: 'Enabled', actual: status });
  }
  if (options.objectLock && c.key === undefined) {
    const config = await unlessNoLock(c.session.client.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }), abort(c)));
    const lock = config?.ObjectLockConfiguration;
    const retention = lock?.Rule?.DefaultRetention;
    const days = retention?.Days ?? (retention?.Years === undefined ? undefined : retention.Years * 365);
    result['objectLock'] = { enabled: lock?.ObjectLockEnabled === 'Enabled', defaultMode: retention?.Mode ?? null, defaultDays: days ?? null };
    checks.push({ check: 'object lock enabled', ok: lock?.ObjectLockEnabled === 'Enabled', expected: 'Enabled', actual: lock?.ObjectLockEnabled ?? 'not configured' });
    retentionChecks(checks, options.objectLock, retention?.Mode, days, 'default retention');
  }
}

async function objectChecks(c: Context, options: S3VerifyOptions, checks: Check[], result: Record<string, unknown>): Promise<void> {
  if (c.key === undefined) return;
  const bucket = c.session.target.bucket;
  const version = c.versionId === undefined ? {} : { VersionId: c.versionId };
  let head: HeadObjectCommandOutput | undefined;
  try {
    head = await c.session.client.send(new HeadObjectCommand({ Bucket: bucket, Key: c.key, ...version }), abort(c));
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  const wanted = options.exists ?? true;
  result['exists'] = head !== undefined;
  checks.push({ check: 'exists', ok: (head !== undefined) === wanted, expected: wanted, actual: head !== undefined });
  if (!head) return;
  result['size'] = head.ContentLength ?? null;
  result['versionId'] = head.VersionId ?? 'null';
  result['lastModified'] = head.LastModified?.toISOString() ?? null;
  if (options.size !== undefined) checks.push({ check: 'size', ok: head.ContentLength === options.size, expected: options.size, actual: head.ContentLength ?? null });

  if (options.objectLock) {
    let mode = head.ObjectLockMode as string | undefined;
    let until = head.ObjectLockRetainUntilDate;
    if (mode === undefined) {
      // Not every store repeats the retention in HEAD: ask for it.
      const retention = await unlessNoLock(c.session.client.send(new GetObjectRetentionCommand({ Bucket: bucket, Key: c.key, ...version }), abort(c)));
      mode = retention?.Retention?.Mode;
      until = retention?.Retention?.RetainUntilDate;
    }
    const remainingDays = until === undefined ? undefined : Math.floor(((until.getTime() - Date.now()) / dayMs) * 100) / 100;
    result['objectLock'] = { mode: mode ?? null, retainUntil: until?.toISOString() ?? null, remainingDays: remainingDays ?? null };
    retentionChecks(checks, options.objectLock, mode, remainingDays, 'retention');
  }
  if (options.legalHold !== undefined) {
    let status = head.ObjectLockLegalHoldStatus as string | undefined;
    if (status === undefined) {
      const hold = await unlessNoLock(c.session.client.send(new GetObjectLegalHoldCommand({ Bucket: bucket, Key: c.key, ...version }), abort(c)));
      status = hold?.LegalHold?.Status;
    }
    const actual = status ?? 'OFF';
    result['legalHold'] = actual;
    checks.push({ check: 'legal hold', ok: (actual === 'ON') === options.legalHold, expected: options.legalHold ? 'ON' : 'OFF', actual });
  }
  if (options.sha256 !== undefined) {
    // Read like every download: against the store's own facts too, once more if they fail.
    let integrity: IntegrityResult;
    try {
      const got = await getVerified(c.session, {
        key: c.key,
        versionId: c.versionId,
        listed: { size: head.ContentLength ?? 0, etag: unquoteEtag(head.ETag) },
        signal: c.ctx.signal,
        clock: c.ctx.clock,
        open: () => Promise.resolve(hashOnly),
      });
      integrity = got.integrity;
      c.integrityRetries = got.retries;
    } catch (error) {
      if (!(error instanceof IntegrityError)) throw error;
      integrity = error.integrity;
      c.integrityRetries = error.retries;
      checks.push({ check: 'integrity', ok: false, expected: `the store's ${integrity.checked.join(', ')}`, actual: describeMismatches(integrity.mismatches) });
    }
    c.integrity = integritySummary(integrity);
    result['sha256'] = integrity.sha256;
    checks.push({ check: 'sha256', ok: integrity.sha256 === options.sha256.toLowerCase(), expected: options.sha256.toLowerCase(), actual: integrity.sha256 });
  }
}

function describeCheck(check: Check): string {
  return `${check.check}: expected ${String(check.expected)}, found ${String(check.actual)}`;
}

async function runVerify(ctx: ParsedAttemptContext<S3VerifyOptions>): Promise<Observation> {
  const { options } = ctx;
  let session: S3Session;
  try {
    session = openS3Session(ctx, 's3.verify');
  } catch (error) {
    return { error: describeS3Error(error, 's3.verify', 'target') };
  }
  const key = options.key === undefined ? undefined : fullKey(session.target, options.key);
  const c: Context = { ctx, session, ...(key === undefined ? {} : { key }), ...(options.versionId === undefined ? {} : { versionId: options.versionId }) };
  const where = `s3://${session.target.bucket}/${key ?? ''}`;
  const checks: Check[] = [];
  const result: Record<string, unknown> = { bucket: session.target.bucket, ...(options.key === undefined ? {} : { key: options.key, fullKey: key }) };
  try {
    await bucketChecks(c, options, checks, result);
    await objectChecks(c, options, checks, result);
    const failed = checks.filter((check) => !check.ok);
    const integrity = c.integrity === undefined ? {} : { integrity: c.integrity, integrityRetries: c.integrityRetries ?? [] };
    const details = { ...session.details(), checks: checks.length, failed: failed.length, ...integrity };
    const report = { ...result, passed: failed.length === 0 && checks.length > 0, checks };
    if (checks.length === 0) return jsonObservation(ctx, report, details, { code: 'S3_NO_CHECK', message: 's3.verify: no check was asked for' });
    if (failed.length === 0) return jsonObservation(ctx, report, details);
    return jsonObservation(ctx, report, details, { code: 'S3_CHECK_FAILED', message: `s3.verify ${where}: ${failed.map(describeCheck).join('; ')}` });
  } catch (error) {
    return { error: describeS3Error(error, 's3.verify', `checking ${where}`), details: { ...session.details(), checksDone: checks.length } };
  } finally {
    session.close();
  }
}
