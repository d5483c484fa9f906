/**
 * Every object under a bucket key prefix, all pages. Keys are asked for URL-encoded, so keys with
 * characters XML cannot carry (control characters) survive the trip.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { S3Session } from './client.js';

export interface ListedObject {
  /** The bucket key, decoded. */
  key: string;
  size: number;
  /** Quotes removed. */
  etag: string;
}

/** S3's `EncodingType=url` is form encoding: some stores write a space as `+`, a plus as `%2B`. */
export function decodeListedKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}

/** The objects under `prefix` (a bucket key prefix), in listing order; `pageSize` for tests. */
export async function listObjects(session: S3Session, prefix: string, signal: AbortSignal, pageSize?: number): Promise<ListedObject[]> {
  const objects: ListedObject[] = [];
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
    for (const item of page.Contents ?? []) {
      if (item.Key === undefined) continue;
      objects.push({ key: decodeListedKey(item.Key), size: item.Size ?? 0, etag: (item.ETag ?? '').replace(/^"|"$/g, '') });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return objects;
}
