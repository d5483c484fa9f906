/** Buckets for s3 runner tests: each test makes its own on the run's radosgw and removes it afterwards. */
import { randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectLegalHoldCommand,
  PutObjectLockConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { Target } from '../../../src/scenario/types.js';
import type { S3LabFacts } from '../../lab/s3-lab.js';
import { createTestAttempt, type TestAttempt, type TestAttemptOptions } from '../attempt-context.js';

/** A client with the lab's keys, for setting up and inspecting what the runners did. */
export function labClient(lab: S3LabFacts, endpoint = lab.endpoint): S3Client {
  return new S3Client({
    endpoint,
    region: lab.region,
    forcePathStyle: true,
    credentials: { accessKeyId: lab.accessKeyId, secretAccessKey: lab.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export interface BucketOptions {
  versioning?: boolean;
  /** Object Lock with a default GOVERNANCE retention of this many days (versioning comes with it). */
  lockDays?: number;
}

/** A new bucket with a random name; `remove()` deletes every version (bypassing governance) and the bucket. */
export async function createBucket(client: S3Client, options: BucketOptions = {}): Promise<{ name: string; remove(): Promise<void> }> {
  const name = `t-${randomBytes(6).toString('hex')}`;
  await client.send(new CreateBucketCommand({ Bucket: name, ...(options.lockDays === undefined ? {} : { ObjectLockEnabledForBucket: true }) }));
  if (options.versioning) await client.send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }));
  if (options.lockDays !== undefined) {
    await client.send(
      new PutObjectLockConfigurationCommand({
        Bucket: name,
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: options.lockDays } } },
      }),
    );
  }
  return { name, remove: () => removeBucket(client, name) };
}

/** Delete every version of every object (lifting legal holds, bypassing governance retention), then the bucket. */
export async function removeBucket(client: S3Client, name: string): Promise<void> {
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  for (;;) {
    const page = await client.send(
      new ListObjectVersionsCommand({ Bucket: name, ...(keyMarker ? { KeyMarker: keyMarker } : {}), ...(versionMarker ? { VersionIdMarker: versionMarker } : {}) }),
    );
    const entries = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map(({ Key, VersionId }) => ({ Key: Key ?? '', VersionId }));
    if (entries.some((entry) => entry.VersionId !== undefined && entry.VersionId !== 'null')) {
      // A legal hold outlives any bypass: lift it first (a bucket without Object Lock just refuses).
      await Promise.all(
        entries.map((entry) => client.send(new PutObjectLegalHoldCommand({ Bucket: name, ...entry, LegalHold: { Status: 'OFF' } })).catch(() => undefined)),
      );
    }
    if (entries.length) await client.send(new DeleteObjectsCommand({ Bucket: name, Delete: { Objects: entries }, BypassGovernanceRetention: true }));
    if (!page.IsTruncated) break;
    keyMarker = page.NextKeyMarker;
    versionMarker = page.NextVersionIdMarker;
  }
  await client.send(new DeleteBucketCommand({ Bucket: name }));
}

/** Secret names the test targets use, and their values. */
export function labSecrets(lab: S3LabFacts): Record<string, string> {
  return { S3_KEY_ID: lab.accessKeyId, S3_SECRET: lab.secretAccessKey };
}

/** An s3 target on the lab, credentials from the secrets above. */
export function labTarget(lab: S3LabFacts, bucket: string, extra: Record<string, unknown> = {}): Target {
  return {
    name: 'store',
    kind: 's3',
    options: {
      bucket,
      region: lab.region,
      endpoint: lab.endpoint,
      accessKeyIdSecret: 'S3_KEY_ID',
      secretAccessKeySecret: 'S3_SECRET',
      ...extra,
    },
  };
}

/** A test attempt on `target` whose `ctx.secret` answers from `secrets`. */
export function s3Attempt(target: Target, secrets: Record<string, string>, overrides: TestAttemptOptions = {}): TestAttempt {
  const attempt = createTestAttempt({ target, ...overrides });
  attempt.ctx.secret = (name) => secrets[name];
  return attempt;
}

/** The JSON a runner printed. */
export function printed(attempt: TestAttempt): Record<string, unknown> {
  return JSON.parse(attempt.stdout.bytes().toString('utf8')) as Record<string, unknown>;
}
