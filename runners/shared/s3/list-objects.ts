/**
 * Every object under a bucket key prefix, all pages. Keys are asked for URL-encoded, so keys with
 * characters XML cannot carry (control characters) survive the trip.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { StepError } from '../step-error.js';
import type { S3Session } from './client.js';

export interface ListedObject {
  /** The bucket key, decoded. */
  key: string;
  size: number;
  /** Quotes removed. */
  etag: string;
  /** ISO time. */
  lastModified: string;
}

/** S3's `EncodingType=url` is form encoding: some stores write a space as `+`, a plus as `%2B`. */
export function decodeListedKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}

export function unquoteEtag(etag: string | undefined): string {
  return (etag ?? '').replace(/^"|"$/g, '');
}

/** The objects under `prefix` (a bucket key prefix), in listing order; `pageSize` for tests, `onPage` counts pages. */
export async function listObjects(session: S3Session, prefix: string, signal: AbortSignal, pageSize?: number, onPage?: () => void): Promise<ListedObject[]> {
  const objects: ListedObject[] = [];
  let pages = 0;
  let token: string | undefined;
  do {
    const page = await session.client.send(
      new ListObjectsV2Command({
        Bucket: session.target.bucket,
        Prefix: prefix,
        EncodingType: 'url',
        ...(pageSize === undefined ? {} : { MaxKeys: pageSize }),
        ...(token === undefined ? {} : { ContinuationToken: token }),
      }),
      { abortSignal: signal },
    );
    pages += 1;
    onPage?.();
    for (const item of page.Contents ?? []) {
      if (item.Key === undefined) continue;
      objects.push({ key: decodeListedKey(item.Key), size: item.Size ?? 0, etag: unquoteEtag(item.ETag), lastModified: (item.LastModified ?? new Date(0)).toISOString() });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
    if (page.IsTruncated && !token) throw new StepError('S3_BAD_LISTING', `the store said the listing goes on but gave no continuation token (page ${pages})`);
  } while (token !== undefined);
  return objects;
}
