/**
 * `s3.latest`: the newest object under a prefix (optionally only keys a pattern finds), with its age at
 * `asOf` or at the start of the step (T0 itself when the step sets `marks: t0`). Lists every page (1,000 keys each), so the answer covers the whole
 * prefix; ties on LastModified (1 s resolution on many stores) go to the greatest key.
 */
import { HeadObjectCommand, ListObjectsV2Command, type _Object } from '@aws-sdk/client-s3';
import type { Observation, ParsedAttemptContext, TypedStepRunner } from '../../src/runner-contract.js';
import { openS3Session, type S3Session } from '../shared/s3/client.js';
import type { S3LatestOptions } from './definition.js';
import { describeS3Error } from '../shared/s3/errors.js';
import { StepError } from '../shared/step-error.js';
import { jsonObservation } from '../shared/json-report.js';
import { fullKey, relativeKey } from '../shared/s3/target.js';

/** The `s3.latest` runner. */
export function createS3LatestRunner(): TypedStepRunner<S3LatestOptions> {
  return { run: runLatest };
}

/** Whether listing entry `a` is newer than `b`. */
export function isNewer(a: Pick<_Object, 'Key' | 'LastModified'>, b: Pick<_Object, 'Key' | 'LastModified'>): boolean {
  const at = a.LastModified?.getTime() ?? 0;
  const bt = b.LastModified?.getTime() ?? 0;
  return at !== bt ? at > bt : (a.Key ?? '') > (b.Key ?? '');
}

async function runLatest(ctx: ParsedAttemptContext<S3LatestOptions>): Promise<Observation> {
  const { options } = ctx;
  const startedWallMs = Date.now();
  let session: S3Session;
  try {
    session = openS3Session(ctx, 's3.latest');
  } catch (error) {
    return { error: describeS3Error(error, 's3.latest', 'target') };
  }
  const { client, target } = session;
  const listPrefix = fullKey(target, options.prefix ?? '');
  const pattern = options.match === undefined ? undefined : new RegExp(options.match);
  let scanned = 0;
  let matched = 0;
  let pages = 0;
  const details = (): Record<string, unknown> => ({ ...session.details(), prefix: listPrefix, scanned, matched, pages });
  try {
    let newest: _Object | undefined;
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: target.bucket, Prefix: listPrefix, ...(token === undefined ? {} : { ContinuationToken: token }) }),
        { abortSignal: ctx.signal },
      );
      pages += 1;
      for (const object of page.Contents ?? []) {
        scanned += 1;
        if (object.Key === undefined || object.LastModified === undefined) continue;
        if (pattern && !pattern.test(relativeKey(target, object.Key))) continue;
        matched += 1;
        if (!newest || isNewer(object, newest)) newest = object;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      if (page.IsTruncated && !token) throw new StepError('S3_BAD_LISTING', `s3.latest: the store said the listing goes on but gave no continuation token (page ${pages})`);
    } while (token !== undefined);

    const where = `s3://${target.bucket}/${listPrefix}${pattern ? ` matching /${options.match ?? ''}/` : ''}`;
    if (!newest?.Key) {
      return jsonObservation(ctx, { bucket: target.bucket, prefix: listPrefix, found: false, scanned }, details(), {
        code: 'S3_NO_OBJECT',
        message: `s3.latest: no object under ${where} (${scanned} listed)`,
      });
    }
    // Listings carry no version id; HEAD gives it and proves the object is still there.
    const head = await client.send(new HeadObjectCommand({ Bucket: target.bucket, Key: newest.Key }), { abortSignal: ctx.signal });
    const lastModified = head.LastModified ?? newest.LastModified ?? new Date(0);
    const asOfMs = options.asOf === undefined ? startedWallMs : Date.parse(options.asOf);
    const result = {
      bucket: target.bucket,
      key: relativeKey(target, newest.Key),
      fullKey: newest.Key,
      size: head.ContentLength ?? newest.Size ?? 0,
      lastModified: lastModified.toISOString(),
      // S3 names the version of an object written without versioning "null".
      versionId: head.VersionId ?? 'null',
      etag: head.ETag ?? newest.ETag ?? '',
      ageMs: asOfMs - lastModified.getTime(),
      asOf: new Date(asOfMs).toISOString(),
      scanned,
      matched,
    };
    const facts = { key: result.fullKey, versionId: result.versionId, lastModified: result.lastModified, ageMs: result.ageMs, asOf: result.asOf };
    return jsonObservation(ctx, result, { ...details(), ...facts });
  } catch (error) {
    return { error: describeS3Error(error, 's3.latest', `listing s3://${target.bucket}/${listPrefix}`), details: details() };
  } finally {
    session.close();
  }
}
