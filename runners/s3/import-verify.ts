/**
 * Proof on the destination: the listing must show every imported key with its size, and a fresh GET of
 * each, hashed while it streams, must give the manifest's SHA-256, content type and user metadata.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { S3Session } from '../shared/s3/client.js';
import type { ListedObject } from '../shared/s3/list-objects.js';
import type { ImportEntry } from './import-manifest.js';

export type CopyCheck = { kind: 'verified' } | { kind: 'missing'; reason: string } | { kind: 'mismatched'; reason: string };

/** Metadata keys compared without case: stores return them lower-cased. */
function sameMetadata(expected: Readonly<Record<string, string>>, found: Readonly<Record<string, string>>): boolean {
  const lower = (map: Readonly<Record<string, string>>): Map<string, string> => new Map(Object.entries(map).map(([key, value]) => [key.toLowerCase(), value]));
  const a = lower(expected);
  const b = lower(found);
  return a.size === b.size && [...a].every(([key, value]) => b.get(key) === value);
}

/**
 * Check the copy of `entry` at `key`. `listed` is what the destination's listing showed for that key;
 * `versionId` pins the version this import wrote, when the destination gave one.
 */
export async function checkCopy(
  session: S3Session,
  request: { entry: ImportEntry; key: string; listed: ListedObject | undefined; versionId: string | undefined; signal: AbortSignal },
): Promise<CopyCheck> {
  const { entry, key, listed, versionId, signal } = request;
  if (!listed) return { kind: 'missing', reason: 'not listed on the destination' };
  if (listed.size !== entry.size) return { kind: 'mismatched', reason: `listed with ${listed.size} bytes, the manifest says ${entry.size}` };
  const got = await session.client.send(
    new GetObjectCommand({ Bucket: session.target.bucket, Key: key, ...(versionId === undefined ? {} : { VersionId: versionId }) }),
    { abortSignal: signal },
  );
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of (got.Body as Readable | undefined) ?? []) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  const sha256 = hash.digest('hex');
  if (bytes !== entry.size || sha256 !== entry.sha256) {
    return { kind: 'mismatched', reason: `read back ${bytes} bytes with SHA-256 ${sha256}, the manifest says ${entry.size} bytes with ${entry.sha256}` };
  }
  if (entry.contentType !== undefined && got.ContentType !== entry.contentType) {
    return { kind: 'mismatched', reason: `content type ${JSON.stringify(got.ContentType ?? null)}, the manifest says ${JSON.stringify(entry.contentType)}` };
  }
  if (entry.metadata !== undefined && !sameMetadata(entry.metadata, got.Metadata ?? {})) {
    return { kind: 'mismatched', reason: `user metadata ${JSON.stringify(got.Metadata ?? {})}, the manifest says ${JSON.stringify(entry.metadata)}` };
  }
  return { kind: 'verified' };
}
