/**
 * `targets.<name>.s3`: a bucket (and key prefix) on AWS S3 or an S3-compatible store. Pure schema plus
 * the secret references the validator checks. The s3 runners apply the defaults below.
 */
import { z } from 'zod';
import { parseDuration } from '../duration.js';

/** Defaults the s3 runners apply when a field is left out; the one place they are written down. */
export const s3TargetDefaults = {
  /** Total tries of one request (first included) on throttling, 5xx and network errors. */
  maxAttempts: 5,
  retryBaseDelayMs: 200,
  retryMaxDelayMs: 10_000,
} as const;

const secretNamePattern = /^[A-Za-z_][A-Za-z0-9_-]*$/;
// DNS-style bucket names (S3's rules, also what S3-compatible stores accept): 3–63 of a-z 0-9 . -
const bucketPattern = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const endpointPattern = /^https?:\/\/[^\s/?#@]+\/?$/i;

const secretName = z.string().regex(secretNamePattern, { message: 'expected the name of a declared secret' });

export const s3ChecksumModes = ['when-supported', 'when-required'] as const;

export const s3TargetSchema = z
  .strictObject({
    bucket: z.string().regex(bucketPattern, { message: 'expected a bucket name: 3–63 lowercase letters, digits, dots or hyphens' }).describe('bucket name'),
    prefix: z
      .string()
      .refine((text) => !text.startsWith('/'), { message: 'a key prefix does not start with /' })
      .describe('key prefix every key of this target is relative to, usually ending with / (default: none)')
      .optional(),
    region: z.string().min(1).describe('region, e.g. eu-west-1 (S3-compatible stores accept any, often us-east-1)'),
    endpoint: z
      .string()
      .regex(endpointPattern, { message: 'expected a base URL such as https://s3.example or http://127.0.0.1:7480 (no path)' })
      .refine((text) => URL.canParse(text), { message: 'is not a valid URL' })
      .describe('S3-compatible store: its base URL, e.g. http://127.0.0.1:7480 (default: AWS)')
      .optional(),
    forcePathStyle: z.boolean().describe('bucket in the path instead of the host name (default: true with an endpoint, false on AWS)').optional(),
    checksums: z
      .enum(s3ChecksumModes)
      .describe(
        'request/response checksums: when-supported (AWS default) or when-required (for stores that reject or corrupt the newer checksums; default with an endpoint)',
      )
      .optional(),
    profile: z.string().min(1).describe('named profile of the AWS shared config/credentials files (default chain otherwise)').optional(),
    accessKeyIdSecret: secretName.describe('NAME of a declared secret holding the access key id (instead of the AWS default chain)').optional(),
    secretAccessKeySecret: secretName.describe('NAME of a declared secret holding the secret access key').optional(),
    sessionTokenSecret: secretName.describe('NAME of a declared secret holding a session token (temporary credentials)').optional(),
    maxAttempts: z.number().int().min(1).max(20).describe('tries of one request on throttling (503 SlowDown), 5xx and network errors (default 5)').optional(),
    retryBaseDelay: z
      .string()
      .refine((text) => parseDuration(text) !== undefined, { message: 'expected a duration such as 200ms or 1s' })
      .describe('first backoff delay, doubled at each retry with jitter, at most 10s (default 200ms)')
      .optional(),
  })
  .superRefine((target, issues) => {
    if ((target.accessKeyIdSecret === undefined) !== (target.secretAccessKeySecret === undefined)) {
      issues.addIssue({
        code: 'custom',
        message: '`accessKeyIdSecret` and `secretAccessKeySecret` go together: name both secrets, or neither for the AWS default chain',
        path: [target.accessKeyIdSecret === undefined ? 'accessKeyIdSecret' : 'secretAccessKeySecret'],
      });
    }
    if (target.sessionTokenSecret !== undefined && target.accessKeyIdSecret === undefined) {
      issues.addIssue({ code: 'custom', message: '`sessionTokenSecret` needs `accessKeyIdSecret` and `secretAccessKeySecret`', path: ['sessionTokenSecret'] });
    }
  });

export type S3TargetOptions = z.infer<typeof s3TargetSchema>;

/** How the record names an s3 target: `s3://bucket/prefix`, and the endpoint of an S3-compatible store. */
export function s3TargetAddress(options: Record<string, unknown>): string | undefined {
  if (typeof options['bucket'] !== 'string') return undefined;
  const prefix = typeof options['prefix'] === 'string' ? options['prefix'] : '';
  const endpoint = typeof options['endpoint'] === 'string' ? ` at ${options['endpoint']}` : '';
  return `s3://${options['bucket']}/${prefix}${endpoint}`;
}

/** Names of the secrets a target refers to (its credentials). */
export function s3SecretRefs(options: S3TargetOptions): string[] {
  return [options.accessKeyIdSecret, options.secretAccessKeySecret, options.sessionTokenSecret].filter((name): name is string => name !== undefined);
}
