/**
 * The source listing of an export: every object (or every version) under a prefix, all pages. Keys are
 * asked for URL-encoded, so keys with characters XML cannot carry (control characters) survive the trip.
 */
import { ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import type { S3Session } from '../shared/s3/client.js';
import { StepError } from '../shared/step-error.js';
import { relativeKey } from '../shared/s3/target.js';
import { decodeListedKey, listObjects, unquoteEtag } from '../shared/s3/list-objects.js';

/** One object (or version) as a listing shows it. */
export interface SourceObject {
  /** Relative to the source target's prefix (the key the manifest records). */
  key: string;
  /** The bucket key. */
  fullKey: string;
  size: number;
  /** Quotes removed. */
  etag: string;
  lastModified: string;
  /** Only with `versions`. */
  versionId?: string;
  isLatest?: boolean;
}

export interface SourceListing {
  objects: SourceObject[];
  /** Versions mode: delete markers seen (not objects, not exported). */
  deleteMarkers: number;
  pages: number;
}

/**
 * The key to continue a version listing after. AWS URL-encodes `NextKeyMarker` with the keys; radosgw
 * sends it as is. It names the page's last key, so of the two readings, take the greatest key the page
 * holds (UTF-8 order, as S3 sorts).
 */
export function nextKeyMarker(marker: string | undefined, pageKeys: readonly string[]): string | undefined {
  if (marker === undefined) return undefined;
  let decoded: string | undefined;
  try {
    decoded = decodeListedKey(marker);
  } catch {
    decoded = undefined;
  }
  const held = new Set(pageKeys);
  const candidates = [marker, decoded].filter((key): key is string => key !== undefined && held.has(key));
  candidates.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return candidates.at(-1) ?? marker;
}


/** Every object under `prefix` (a bucket key prefix), or every version of every object with `versions`; `pageSize` for tests. */
export async function listSource(session: S3Session, prefix: string, versions: boolean, signal: AbortSignal, pageSize?: number): Promise<SourceListing> {
  const page = pageSize === undefined ? {} : { MaxKeys: pageSize };
  return versions ? listVersions(session, prefix, signal, page) : listLatest(session, prefix, signal, page);
}

async function listLatest(session: S3Session, prefix: string, signal: AbortSignal, size: { MaxKeys?: number }): Promise<SourceListing> {
  let pages = 0;
  const listed = await listObjects(session, prefix, signal, size.MaxKeys, () => (pages += 1));
  const objects = listed.map(({ key, ...rest }) => ({ key: relativeKey(session.target, key), fullKey: key, ...rest }));
  return { objects, deleteMarkers: 0, pages };
}

async function listVersions(session: S3Session, prefix: string, signal: AbortSignal, size: { MaxKeys?: number }): Promise<SourceListing> {
  const { client, target } = session;
  const objects: SourceObject[] = [];
  let deleteMarkers = 0;
  let pages = 0;
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  for (;;) {
    const page = await client.send(
      new ListObjectVersionsCommand({
        Bucket: target.bucket,
        Prefix: prefix,
        EncodingType: 'url',
        ...size,
        ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker }),
        ...(versionMarker === undefined ? {} : { VersionIdMarker: versionMarker }),
      }),
      { abortSignal: signal },
    );
    pages += 1;
    deleteMarkers += page.DeleteMarkers?.length ?? 0;
    for (const item of page.Versions ?? []) {
      if (item.Key === undefined) continue;
      const fullKey = decodeListedKey(item.Key);
      objects.push({
        key: relativeKey(target, fullKey),
        fullKey,
        size: item.Size ?? 0,
        etag: unquoteEtag(item.ETag),
        lastModified: (item.LastModified ?? new Date(0)).toISOString(),
        versionId: item.VersionId ?? 'null',
        isLatest: item.IsLatest ?? false,
      });
    }
    if (!page.IsTruncated) break;
    const seen = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].flatMap((item) => (item.Key === undefined ? [] : [decodeListedKey(item.Key)]));
    const next = nextKeyMarker(page.NextKeyMarker, seen);
    if (next === undefined || (next === keyMarker && page.NextVersionIdMarker === versionMarker)) {
      throw new StepError('S3_BAD_LISTING', `the store said the version listing goes on but gave no usable key marker (page ${pages})`);
    }
    keyMarker = next;
    versionMarker = page.NextVersionIdMarker;
  }
  return { objects, deleteMarkers, pages };
}
