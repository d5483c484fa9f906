/**
 * `s3://BUCKET/PREFIX?endpoint=URL&region=R&lock-bucket=NAME`: where an S3 evidence store is. Credentials
 * never go in the URL: they come from the AWS default chain (environment, profile, instance role). Pure.
 */
import { DrillbookError } from '../../errors.js';

export interface S3Location {
  bucket: string;
  /** Key prefix without leading or trailing slash; empty for the bucket's root. */
  prefix: string;
  /** An S3-compatible store's base URL; undefined for AWS. */
  endpoint?: string;
  region: string;
  /** Bucket of the run locks (default: the evidence bucket); see lock.ts. */
  lockBucket: string;
  /** `s3://bucket/prefix`, for people (no query). */
  display: string;
}

const bucketPattern = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function isS3Url(text: string): boolean {
  return /^s3:\/\//i.test(text);
}

/** Parse a store URL; endpoint and region fall back to AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL and AWS_REGION. */
export function parseS3Location(text: string, env: NodeJS.ProcessEnv = process.env): S3Location {
  const bad = (why: string) => new DrillbookError('USAGE', `--store ${text}: ${why}`, { hint: 'write s3://BUCKET/PREFIX, with ?endpoint=http://HOST:PORT for an S3-compatible store' });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad('not a URL');
  }
  const bucket = url.hostname;
  if (!bucketPattern.test(bucket)) throw bad(`"${bucket}" is not a bucket name`);
  if (url.username || url.password) throw bad('credentials do not belong in the URL (use the AWS environment or profile)');
  const known = new Set(['endpoint', 'region', 'lock-bucket']);
  for (const key of url.searchParams.keys()) if (!known.has(key)) throw bad(`unknown parameter "${key}" (known: ${[...known].join(', ')})`);
  const endpoint = url.searchParams.get('endpoint') ?? env['AWS_ENDPOINT_URL_S3'] ?? env['AWS_ENDPOINT_URL'];
  if (endpoint !== undefined && (!/^https?:\/\/[^\s/?#@]+\/?$/i.test(endpoint) || !URL.canParse(endpoint))) throw bad(`endpoint ${JSON.stringify(endpoint)} is not a base URL such as http://127.0.0.1:7480`);
  const lockBucket = url.searchParams.get('lock-bucket') ?? bucket;
  if (!bucketPattern.test(lockBucket)) throw bad(`lock-bucket "${lockBucket}" is not a bucket name`);
  const prefix = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, '');
  return {
    bucket,
    prefix,
    ...(endpoint !== undefined && { endpoint }),
    region: url.searchParams.get('region') ?? env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'] ?? 'us-east-1',
    lockBucket,
    display: `s3://${bucket}${prefix ? `/${prefix}` : ''}`,
  };
}

/** The key of `parts` under the location's prefix. */
export function keyOf(location: Pick<S3Location, 'prefix'>, ...parts: string[]): string {
  return [location.prefix, ...parts].filter(Boolean).join('/');
}
