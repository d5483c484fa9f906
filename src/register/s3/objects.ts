/** Small helpers over the S3 API: paginated listings, whole-object reads, existence. */
import type { S3Client } from '@aws-sdk/client-s3';
import { httpStatus } from './client.js';

export interface Listed {
  key: string;
  size: number;
  modifiedMs: number;
  etag: string;
}

/** Every object under `prefix` (keys in S3 order), or with `delimiter` the common prefixes too. */
export async function listObjects(client: S3Client, bucket: string, prefix: string, delimiter?: string): Promise<{ objects: Listed[]; prefixes: string[] }> {
  const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const objects: Listed[] = [];
  const prefixes: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(delimiter !== undefined && { Delimiter: delimiter }), ...(token !== undefined && { ContinuationToken: token }) }),
    );
    for (const o of page.Contents ?? []) objects.push({ key: o.Key ?? '', size: o.Size ?? 0, modifiedMs: o.LastModified?.getTime() ?? 0, etag: o.ETag ?? '' });
    for (const p of page.CommonPrefixes ?? []) if (p.Prefix) prefixes.push(p.Prefix);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return { objects, prefixes };
}

/** An object's bytes; undefined when there is no such key. */
export async function readObject(client: S3Client, bucket: string, key: string): Promise<Buffer | undefined> {
  const { GetObjectCommand } = await import('@aws-sdk/client-s3');
  try {
    const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from((await response.Body?.transformToByteArray()) ?? new Uint8Array());
  } catch (error) {
    if (httpStatus(error) === 404) return undefined;
    throw error;
  }
}

/** An object's metadata, lock mode and retention; undefined when there is no such key. */
export async function headObject(client: S3Client, bucket: string, key: string) {
  const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
  try {
    return await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  } catch (error) {
    if (httpStatus(error) === 404) return undefined;
    throw error;
  }
}
